// When the HTTP client may try a call again, and how long it waits first.

/** Methods whose repetition has the effect of one call (RFC 9110 §9.2.2); POST and PATCH only when the caller says so. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export function repeatable(method: string, retry: boolean | undefined): boolean {
  return retry ?? IDEMPOTENT.has(method);
}

/** 429 and the 5xx that say "later" (not 501 Not Implemented or 505, which stay what they are). */
export function retryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Retry-After in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with full jitter, so clients that failed together do not come back together. */
export function backoffMs(retry: number, baseMs: number, capMs = 10_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** retry);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    function stop(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', stop, { once: true });
  });
}
