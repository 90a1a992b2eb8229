// The tascaas API as an infrastructure and a program call it (TaScaaS's and RUPER-LB's wire), over core's HTTP
// client. Errors name the call, never its URL: lb URLs, upload URLs and IDs carry a partition's token.
import { ContinuumError } from '@serverless-continuum/core/errors';
import { createHttpClient, HttpError, type HttpClient } from '@serverless-continuum/core/http';
import type { LbAnswer, PartitionLease, WorkerChannel } from './types';

export interface ClientOptions {
  /** Per attempt, in ms; 30 s when omitted. */
  timeoutMs?: number;
  /** Retries of calls that may be repeated; 3 when omitted. */
  retries?: number;
  /** A private certificate authority (PEM) of the API; verification stays on. */
  ca?: string | Buffer;
}

/** A call of the API that failed; the message names the call (and job/partition), never a URL or a token. */
export class ApiError extends ContinuumError {
  readonly call: string;
  readonly status?: number;

  constructor(call: string, message: string, status?: number) {
    super('CONTINUUM_HTTP', message);
    this.name = 'ApiError';
    this.call = call;
    if (status !== undefined) this.status = status;
  }
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/** The partition token inside an ID (`jobId.attempt.token`) as it may appear in text, to keep it out of messages. */
function tokenForms(id: string): string[] {
  const token = id.split('.').slice(2).join('.');
  return token ? [token, encodeURIComponent(token)] : [];
}

function callFailed(call: string, error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof HttpError)) {
    const text = error instanceof Error ? error.message : String(error);
    return new ApiError(call, redact(`tascaas ${call} failed: ${text}`, secrets));
  }
  // core's message reads `<METHOD> <url> <what happened>`: keep what happened only.
  const prefix = `${error.method} ${error.url}`;
  const what = error.message.startsWith(prefix) ? error.message.slice(prefix.length).trim() : error.reason;
  return new ApiError(call, redact(`tascaas ${call} ${what}`, secrets), error.status);
}

/** RUPER-LB's answer: `0\nAssigned: <n>\nETA: <s>`, or `<flag> <code>` when refused. */
export function parseLbAnswer(text: string, call = 'lb'): LbAnswer {
  const lines = text.trim().split(/\r?\n/);
  const first = (lines[0] ?? '').trim();
  if (first === '0') {
    const field = (name: string): number | undefined => {
      const line = lines.find((l) => l.trim().startsWith(`${name}:`));
      const value = line === undefined ? NaN : Number(line.slice(line.indexOf(':') + 1).trim());
      return Number.isFinite(value) ? value : undefined;
    };
    const assigned = field('Assigned');
    const eta = field('ETA');
    if (assigned !== undefined && Number.isInteger(assigned) && assigned >= 0 && eta !== undefined)
      return { ok: true, assigned, eta };
  } else {
    const refused = /^(\d+)\s+(\d+)$/.exec(first);
    if (refused) return { ok: false, flag: Number(refused[1]), code: Number(refused[2]) };
  }
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
  throw new ApiError(
    call,
    `tascaas ${call}: unreadable load-balancer answer ${shown} (expected "0\\nAssigned: <n>\\nETA: <s>" or "<flag> <code>")`,
  );
}

export interface NodeRegistration {
  id: string;
  scaleTime: number;
}

export interface NodeStatus {
  /** NaN when the server sent none it could read; -1 when no slots are registered. */
  requiredCap: number;
  scaleTime: number;
  epoch: number;
}

/** A partition handed to this infrastructure, with the URLs its program gets. */
export interface PartitionDelivery {
  lease: PartitionLease;
  lbUrl: string;
  uploadRequestUrl: string;
}

export interface JobsAnswer {
  requiredCap: number;
  deliveries: PartitionDelivery[];
}

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}\.\d+\.[^./?#\s]+$/;

function capOf(value: unknown): number {
  const cap = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return value === '' ? NaN : cap;
}

function wholeOf(record: Record<string, unknown>, field: string, min: number): number {
  const raw = record[field];
  const value =
    typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : typeof raw === 'number' ? raw : NaN;
  if (!Number.isInteger(value) || value < min)
    throw new ApiError('jobs', `tascaas jobs: config field ${field} is not a whole number >= ${min}`);
  return value;
}

/** A client of the node API for one infrastructure. */
export class TascaasClient {
  private readonly http: HttpClient;
  private readonly api: string;
  private readonly secrets: string[] = [];

  constructor(
    endpoint: string,
    private readonly options: ClientOptions = {},
  ) {
    this.api = endpoint.replace(/\/+$/, '');
    this.http = createHttpClient({ url: this.api, ...options });
  }

  private async get<T>(
    call: string,
    path: string,
    query: Record<string, string | number | undefined>,
    extra: { retry?: boolean; signal?: AbortSignal } = {},
    lease?: PartitionLease,
  ): Promise<T> {
    try {
      return (await this.http.get<T>(path, { query, ...extra })).body;
    } catch (error) {
      if (extra.signal?.aborted) throw error;
      throw callFailed(call, error, lease ? [...this.secrets, ...tokenForms(lease.id)] : this.secrets);
    }
  }

  private node(id: string, action: string): string {
    return `node/${encodeURIComponent(id)}/${action}`;
  }

  async register(
    secret: string,
    slots: number,
    maxSlots: number,
    signal?: AbortSignal,
  ): Promise<NodeRegistration> {
    if (!this.secrets.includes(secret)) this.secrets.push(secret, encodeURIComponent(secret));
    const body = await this.get<{ id?: unknown; scaleTime?: unknown }>(
      'register',
      'node/register',
      { secret, slots, maxSlots },
      signal ? { signal } : {},
    );
    if (typeof body?.id !== 'string' || !body.id || typeof body.scaleTime !== 'number')
      throw new ApiError('register', 'tascaas register: the answer has no id and scaleTime');
    return { id: body.id, scaleTime: body.scaleTime };
  }

  async update(id: string, slots?: number, maxSlots?: number, signal?: AbortSignal): Promise<NodeStatus> {
    const body = await this.get<{ requiredCap?: unknown; scaleTime?: unknown; epoch?: unknown }>(
      'update',
      this.node(id, 'update'),
      { slots, maxSlots },
      signal ? { signal } : {},
    );
    return {
      requiredCap: capOf(body?.requiredCap),
      scaleTime: typeof body?.scaleTime === 'number' ? body.scaleTime : NaN,
      epoch: typeof body?.epoch === 'number' ? body.epoch : NaN,
    };
  }

  /** Pulls up to `slots` partitions. Not retried: a repeated pull would lease partitions nobody runs. */
  async jobs(id: string, slots: number, signal?: AbortSignal): Promise<JobsAnswer> {
    const body = await this.get<{ requiredCap?: unknown; configs?: unknown }>(
      'jobs',
      this.node(id, 'jobs'),
      { slots },
      { retry: false, ...(signal ? { signal } : {}) },
    );
    const configs = body?.configs ?? [];
    if (!Array.isArray(configs)) throw new ApiError('jobs', 'tascaas jobs: configs is not a list');
    return { requiredCap: capOf(body?.requiredCap), deliveries: configs.map((c) => this.delivery(id, c)) };
  }

  private delivery(nodeId: string, config: unknown): PartitionDelivery {
    const record = (config ?? {}) as Record<string, unknown>;
    const ID = record.ID;
    if (typeof ID !== 'string' || !ID_PATTERN.test(ID))
      throw new ApiError('jobs', 'tascaas jobs: config field ID is not <jobId>.<attempt>.<token>');
    const dataUrl = record['data-url'] ?? '';
    if (typeof dataUrl !== 'string')
      throw new ApiError('jobs', 'tascaas jobs: config field data-url is not a string');
    const reportTime = wholeOf(record, 'reportTime', -1);
    const resumeFrom = record.resumeFrom === undefined ? 0 : wholeOf(record, 'resumeFrom', 0);
    const checkpointUrl = record['checkpoint-url'];
    const lease: PartitionLease = {
      id: ID,
      jobId: ID.slice(0, ID.indexOf('.')),
      partition: wholeOf(record, 'worker', 0),
      iterations: wholeOf(record, 'nIter', 0),
      reportSeconds: reportTime,
      inputUrl: dataUrl,
      resumeFrom,
      ...(typeof checkpointUrl === 'string' && checkpointUrl ? { checkpointUrl } : {}),
    };
    return { lease, lbUrl: this.lbUrl(lease), uploadRequestUrl: this.uploadRequestUrl(nodeId, lease) };
  }

  lbUrl(lease: PartitionLease): string {
    return `${this.api}/lb/${lease.id}`;
  }

  uploadRequestUrl(nodeId: string, lease: PartitionLease): string {
    return `${this.api}/results/upload/${lease.id}/${lease.partition}?wID=${encodeURIComponent(nodeId)}`;
  }

  /** Gives a partition back at once (its program failed): the server re-delivers it. */
  async release(id: string, lease: PartitionLease): Promise<void> {
    const call = `release (job ${lease.jobId} partition ${lease.partition})`;
    const query = { ID: lease.id, worker: lease.partition };
    await this.get(call, this.node(id, 'release'), query, {}, lease);
  }

  async disconnect(id: string): Promise<void> {
    await this.get('disconnect', this.node(id, 'disconnect'), {});
  }

  /** A channel for one delivered partition, as its program would build it from its arguments. */
  channel(delivery: PartitionDelivery): HttpChannel {
    return new HttpChannel(delivery, this.options);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

/** The lb and upload-request calls of one partition attempt, from the two URLs its program is given. */
export class HttpChannel implements WorkerChannel {
  private readonly lb: HttpClient;
  private readonly uploads: HttpClient;
  private readonly uploadPath: string;
  private readonly uploadQuery: Record<string, string>;
  private readonly secrets: string[];

  constructor(urls: { lbUrl: string; uploadRequestUrl: string }, options: ClientOptions = {}) {
    const lbUrl = new URL(urls.lbUrl);
    const upload = new URL(urls.uploadRequestUrl);
    const id = decodeURIComponent(lbUrl.pathname.split('/').pop() ?? '');
    this.secrets = tokenForms(id);
    this.lb = createHttpClient({ url: lbUrl.href.replace(/[?#].*$/, ''), ...options });
    this.uploads = createHttpClient({ url: upload.origin, ...options });
    this.uploadPath = upload.pathname;
    this.uploadQuery = Object.fromEntries(upload.searchParams);
  }

  /** Closes the connections of a channel with its own certificate authority. */
  async close(): Promise<void> {
    await Promise.all([this.lb.close(), this.uploads.close()]);
  }

  private async lbCall(
    action: 'start' | 'report' | 'finish',
    lease: PartitionLease,
    query: Record<string, string | number | undefined>,
  ): Promise<LbAnswer> {
    const call = `lb ${action} (job ${lease.jobId} partition ${lease.partition})`;
    let text: string;
    try {
      const answer = await this.lb.get<unknown>(action, { query: { worker: lease.partition, ...query } });
      text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    } catch (error) {
      // A refusal comes as a 4xx carrying `<flag> <code>`: an answer, not a failure.
      if (
        error instanceof HttpError &&
        error.status !== undefined &&
        /^\d+\s+\d+$/.test(error.responseText ?? '')
      )
        return parseLbAnswer(error.responseText ?? '', call);
      throw callFailed(call, error, this.secrets);
    }
    return parseLbAnswer(text, call);
  }

  start(lease: PartitionLease, dt: number): Promise<LbAnswer> {
    return this.lbCall('start', lease, { dt: seconds(dt) });
  }

  report(lease: PartitionLease, nIter: number, dt: number, checkpoint?: boolean): Promise<LbAnswer> {
    return this.lbCall('report', lease, { nIter, dt: seconds(dt), checkpoint: checkpoint ? 1 : undefined });
  }

  finish(lease: PartitionLease, nIter: number, dt: number): Promise<LbAnswer> {
    return this.lbCall('finish', lease, { nIter, dt: seconds(dt) });
  }

  async uploadUrl(lease: PartitionLease, kind: 'result' | 'checkpoint'): Promise<string> {
    const call = `upload request (job ${lease.jobId} partition ${lease.partition})`;
    let body: unknown;
    try {
      const query = { ...this.uploadQuery, ...(kind === 'checkpoint' ? { kind } : {}) };
      body = (await this.uploads.get<unknown>(this.uploadPath, { query })).body;
    } catch (error) {
      throw callFailed(call, error, this.secrets);
    }
    const url = typeof body === 'string' ? body.trim() : '';
    if (!/^https?:\/\//.test(url)) throw new ApiError(call, `tascaas ${call}: the answer is not a URL`);
    return url;
  }
}

/** dt on the wire: seconds, to the millisecond. */
function seconds(dt: number): string {
  return String(Math.max(0, Math.round(dt * 1000) / 1000));
}

/** GETs a presigned URL (input, checkpoint) as bytes; `missing` answers a 404 instead of failing. */
export async function download(
  url: string,
  what: string,
  options: { timeoutMs?: number; missing?: boolean } = {},
): Promise<Buffer | undefined> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 300_000) });
  } catch (error) {
    throw new ApiError(what, `tascaas ${what} failed: ${(error as Error).message}`);
  }
  if (response.status === 404 && options.missing) return undefined;
  if (!response.ok) {
    await response.body?.cancel();
    throw new ApiError(what, `tascaas ${what} answered ${response.status}`, response.status);
  }
  return Buffer.from(await response.arrayBuffer());
}

/** PUTs bytes to a presigned URL (a result, a checkpoint), exactly as given: its signature covers its query. */
export async function upload(
  url: string,
  body: Buffer | string,
  what: string,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'PUT',
      body: typeof body === 'string' ? Buffer.from(body) : body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 300_000),
    });
  } catch (error) {
    throw new ApiError(what, `tascaas ${what} failed: ${(error as Error).message}`);
  }
  await response.body?.cancel();
  if (!response.ok) throw new ApiError(what, `tascaas ${what} answered ${response.status}`, response.status);
}
