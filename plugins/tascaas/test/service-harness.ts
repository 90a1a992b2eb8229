// The service over in-memory adapters and a manual clock, with helpers to act as an infrastructure and a program.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalQueue, manualClock, type ManualClock } from '@serverless-continuum/core/queue';
import { createMemoryStateStore, type StateStore } from '@serverless-continuum/core/state';
import { createLocalStorage } from '@serverless-continuum/core/storage';
import {
  completeUploadedResult,
  handleApi,
  type ApiResponse,
  type JobDefinition,
  type JobStatus,
  type Services,
} from '../src/service';

export const SECRET = 'test-secret';

export function definition(overrides: Partial<JobDefinition> = {}): JobDefinition {
  return {
    name: 'montecarlo',
    partitions: 2,
    maxPartitions: 4,
    maxAttempts: 3,
    reportInterval: 10,
    results: { bucket: 'results', prefix: 'mc/' },
    input: { bucket: 'inputs', prefix: 'mc/' },
    ...overrides,
  };
}

export interface TestService {
  services: Services;
  clock: ManualClock;
  get(path: string, query?: Record<string, string>, secret?: string): Promise<ApiResponse>;
  post(path: string, body: unknown, secret?: string): Promise<ApiResponse>;
}

/** Links are plain `link:<METHOD>:<bucket>/<key>` strings: tests write objects straight into storage. */
export function testService(
  options: { definitions?: JobDefinition[]; scaleTime?: number; state?: StateStore } = {},
): TestService {
  const clock = manualClock(1_700_000_000_000);
  const definitions = options.definitions ?? [definition()];
  const services: Services = {
    state: options.state ?? createMemoryStateStore({ now: () => clock.now() }),
    queues: {},
    storage: createLocalStorage(mkdtempSync(join(tmpdir(), 'tascaas-service-'))),
    links: {
      get: ({ bucket, key }) => Promise.resolve(`link:GET:${bucket}/${key}`),
      put: ({ bucket, key }) => Promise.resolve(`link:PUT:${bucket}/${key}`),
    },
    definitions: Object.fromEntries(definitions.map((d) => [d.name, d])),
    secret: SECRET,
    scaleTime: options.scaleTime ?? 30,
    now: () => clock.now(),
  };
  for (const d of definitions) {
    const deadLetters = createLocalQueue({ clock });
    services.queues[d.name] = {
      partitions: createLocalQueue({
        clock,
        visibilityTimeout: 2 * services.scaleTime,
        redrive: { deadLetterQueue: deadLetters, maxReceives: d.maxAttempts },
      }),
      deadLetters,
    };
  }
  const request = (
    method: string,
    path: string,
    query: Record<string, string>,
    body?: unknown,
    secret?: string,
  ) =>
    handleApi(services, {
      method,
      path,
      query,
      headers: secret === undefined ? {} : { authorization: `Bearer ${secret}` },
      ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
      baseUrl: 'http://api.test',
    });
  return {
    services,
    clock,
    get: (path, query = {}, secret) => request('GET', path, query, undefined, secret),
    post: (path, body, secret = SECRET) => request('POST', path, {}, body, secret),
  };
}

export async function registerNode(t: TestService, slots = 2, maxSlots = 4): Promise<string> {
  const answer = await t.get('/node/register', {
    secret: SECRET,
    slots: String(slots),
    maxSlots: String(maxSlots),
  });
  if (answer.status !== 200) throw new Error(`register: ${answer.status} ${answer.body}`);
  return (JSON.parse(answer.body) as { id: string }).id;
}

export interface Config {
  ID: string;
  reportTime: string;
  worker: string;
  'data-url': string;
  nIter: string;
}

export async function pull(t: TestService, node: string, slots: number): Promise<Config[]> {
  const answer = await t.get(`/node/${node}/jobs`, { slots: String(slots) });
  if (answer.status !== 200) throw new Error(`jobs: ${answer.status} ${answer.body}`);
  return (JSON.parse(answer.body) as { configs?: Config[] }).configs ?? [];
}

export async function submit(t: TestService, job: Record<string, unknown>): Promise<string> {
  const answer = await t.post('/jobs', job);
  if (answer.status !== 201) throw new Error(`submit: ${answer.status} ${answer.body}`);
  return (JSON.parse(answer.body) as { id: string }).id;
}

export const lb = (t: TestService, config: Config, call: string, query: Record<string, string>) =>
  t.get(`/lb/${config.ID}/${call}`, { worker: config.worker, ...query });

/** Uploads a partition's result where its upload link points (what a program's PUT does). */
export async function uploadResult(
  t: TestService,
  node: string,
  config: Config,
  body = 'result',
): Promise<void> {
  const answer = await t.get(`/results/upload/${config.ID}/${config.worker}`, { wID: node });
  if (answer.status !== 200) throw new Error(`upload request: ${answer.status} ${answer.body}`);
  const [, , where = ''] = answer.body.split(':');
  const [bucket = '', ...key] = where.split('/');
  await t.services.storage.put(bucket, key.join('/'), body);
  // What the S3 notification of the results prefix does on AWS.
  await completeUploadedResult(t.services, bucket, key.join('/'));
}

export async function status(t: TestService, id: string): Promise<JobStatus> {
  const answer = await t.get(`/jobs/${id}`, {}, SECRET);
  if (answer.status !== 200) throw new Error(`status: ${answer.status} ${answer.body}`);
  return JSON.parse(answer.body) as JobStatus;
}
