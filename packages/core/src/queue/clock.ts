// Time for the local queue: the system clock, or a manual one that tests move forward instead of sleeping.

export interface Clock {
  /** Milliseconds since the epoch (or since the manual clock's start). */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (then without waiting further). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, wakes every sleeper that is due, and lets them run before it resolves. */
  advance(ms: number): Promise<void>;
}

export function manualClock(start = 0): ManualClock {
  let now = start;
  const sleepers = new Set<{ due: number; wake: () => void }>();
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const sleeper = {
          due: now + ms,
          wake: () => {
            sleepers.delete(sleeper);
            signal?.removeEventListener('abort', sleeper.wake);
            resolve();
          },
        };
        sleepers.add(sleeper);
        signal?.addEventListener('abort', sleeper.wake, { once: true });
      });
    },
    async advance(ms) {
      now += ms;
      for (const sleeper of [...sleepers]) if (sleeper.due <= now) sleeper.wake();
      // A woken receiver runs a few promise steps before it answers; a macrotask lets it get there.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
