// Job submission: a job checked field by field, split into partitions, written once and enqueued once.
import { ContinuumError } from '@serverless-continuum/core/errors';
import { isSafeKey } from '@serverless-continuum/core/storage';
import { newJobBalance, reportIntervalFor } from '../balancer';
import { jobIdOf, newJobId } from './ids';
import { JobStore, type JobRecord } from './store';
import type { JobDefinition, Services } from './types';

/** A job as submitted: ours (`partitions`, `input`) or TaScaaS's (`initWorkers`, `inputFile`), checked. */
export interface JobSpec {
  definition: JobDefinition;
  iterations: number;
  time: number;
  partitions: number;
  /** The input's key under the definition's input prefix; '' for none. */
  input: string;
}

/** An invalid job: the message names the field (`job.iterations: ...`). */
export class JobSpecError extends ContinuumError {
  constructor(message: string) {
    super('CONTINUUM_INVALID_CONFIG', message);
  }
}

const FIELDS = new Set(['job', 'iterations', 'time', 'partitions', 'initWorkers', 'input', 'inputFile']);

function wholeField(
  body: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new JobSpecError(`job.${name}: must be a whole number ${range}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function alias(body: Record<string, unknown>, name: string, tascaasName: string): string {
  if (body[name] !== undefined && body[tascaasName] !== undefined) {
    throw new JobSpecError(`job.${tascaasName}: give ${name} or ${tascaasName} (TaScaaS's name), not both`);
  }
  return body[tascaasName] !== undefined ? tascaasName : name;
}

/** Checks a job against the service's definitions; every error names the field. */
export function parseJobSpec(body: unknown, definitions: Record<string, JobDefinition>): JobSpec {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new JobSpecError('job: must be a JSON object like {"iterations": 1000000, "time": 600}');
  }
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!FIELDS.has(name)) {
      throw new JobSpecError(
        `job.${name}: unknown field (known: job, iterations, time, partitions or initWorkers, input or inputFile)`,
      );
    }
  }
  const names = Object.keys(definitions);
  let definition: JobDefinition | undefined;
  if (fields.job === undefined) {
    if (names.length !== 1) throw new JobSpecError(`job.job: required, one of ${names.join(', ')}`);
    definition = definitions[names[0] ?? ''];
  } else {
    definition = typeof fields.job === 'string' ? definitions[fields.job] : undefined;
    if (!definition) {
      throw new JobSpecError(
        `job.job: ${JSON.stringify(fields.job)} is not a job of this service (${names.join(', ')})`,
      );
    }
  }
  if (!definition) throw new JobSpecError('job.job: this service declares no custom.tascaas job');

  const iterations = wholeField(fields, 'iterations', 1, Number.MAX_SAFE_INTEGER);
  if (iterations === undefined) throw new JobSpecError('job.iterations: required, a whole number >= 1');
  const time = fields.time;
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new JobSpecError(
      `job.time: required, the target seconds (<= 0: no balancing), got ${JSON.stringify(time)}`,
    );
  }
  const partitionsName = alias(fields, 'partitions', 'initWorkers');
  const partitions = wholeField(fields, partitionsName, 1, definition.maxPartitions) ?? definition.partitions;
  if (partitions > iterations) {
    throw new JobSpecError(
      `job.${partitionsName}: ${partitions} partitions for ${iterations} iterations leaves some empty`,
    );
  }
  const inputName = alias(fields, 'input', 'inputFile');
  const input = fields[inputName] ?? '';
  if (typeof input !== 'string' || (input !== '' && !isSafeKey(input))) {
    throw new JobSpecError(`job.${inputName}: a key under the job's input location, without ./ or ../ parts`);
  }
  if (input && !definition.input) {
    throw new JobSpecError(`job.${inputName}: custom.tascaas.${definition.name} declares no input location`);
  }
  return { definition, iterations, time, partitions, input };
}

/** Submits a job; the same `id` submitted again (a retried request, a duplicated S3 event) starts nothing new. */
export async function submitJob(
  services: Services,
  body: unknown,
  id: string = newJobId(),
): Promise<{ id: string; created: boolean }> {
  const spec = parseJobSpec(body, services.definitions);
  const { definition } = spec;
  if (spec.input && definition.input) {
    const key = definition.input.prefix + spec.input;
    if (!(await services.storage.head(definition.input.bucket, key))) {
      throw new JobSpecError(`job.input: no object ${definition.input.bucket}/${key}`);
    }
  }
  const now = services.now();
  const job: JobRecord = {
    id,
    definition: definition.name,
    iterations: spec.iterations,
    time: spec.time,
    state: 'RUNNING',
    balance: newJobBalance({
      iterations: spec.iterations,
      time: spec.time,
      partitions: spec.partitions,
      maxPartitions: definition.maxPartitions,
      reportInterval: reportIntervalFor(spec.time, definition.reportInterval),
      now,
    }),
    createdAt: now,
    input: spec.input,
  };
  const store = new JobStore(services.state, services.now);
  const created = await store.createJob(job);
  const stored = created ? job : await store.job(id);
  if (stored)
    await enqueuePartitions(
      services,
      stored,
      stored.balance.partitions.map((p) => p.index),
    );
  services.log?.(
    `job ${id}: ${created ? 'submitted' : 'already submitted'} (${definition.name}, ${spec.iterations} iterations, ${spec.partitions} partitions)`,
  );
  return { id, created };
}

/** Sends a message for each partition that has none yet (so a retried submit or growth enqueues each once). */
export async function enqueuePartitions(
  services: Services,
  job: JobRecord,
  indexes: number[],
): Promise<void> {
  const store = new JobStore(services.state, services.now);
  const queue = services.queues[job.definition]?.partitions;
  if (!queue) throw new ContinuumError('CONTINUUM_QUEUE', `job ${job.id}: no queue for ${job.definition}`);
  const existing = await store.deliveries(job.id);
  const missing = indexes.filter((index) => !existing.has(index));
  if (!missing.length) return;
  const ids = await queue.send(missing.map((partition) => JSON.stringify({ job: job.id, partition })));
  await Promise.all(missing.map((partition, i) => store.createDelivery(job.id, partition, ids[i] ?? '')));
}

/** The job an uploaded `*.config` under a definition's input location describes (TaScaaS's configuration files). */
export async function submitUploadedConfig(
  services: Services,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  const definition = Object.values(services.definitions).find(
    (d) => d.input && d.input.bucket === bucket && key.startsWith(d.input.prefix),
  );
  if (!definition || !key.endsWith('.config')) {
    services.log?.(`ignored s3://${bucket}/${key}: not a *.config under a job's input location`);
    return undefined;
  }
  const info = await services.storage.head(bucket, key);
  if (!info) return undefined;
  const id = jobIdOf(bucket, key, info.etag ?? String(info.size));
  const text = (await services.storage.getBytes(bucket, key)).toString('utf8');
  try {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new JobSpecError(`job: not JSON (${(error as Error).message})`);
    }
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
    await submitJob(services, { job: definition.name, ...fields }, id);
  } catch (error) {
    if (!(error instanceof JobSpecError)) throw error;
    // A config that cannot become a job is kept as a FAILED job, so `status --id` says why; the object stays.
    services.log?.(`s3://${bucket}/${key}: ${error.message}`);
    await recordInvalidJob(services, id, definition, error.message);
  }
  return id;
}

async function recordInvalidJob(services: Services, id: string, definition: JobDefinition, reason: string) {
  const now = services.now();
  await new JobStore(services.state, services.now).createJob({
    id,
    definition: definition.name,
    iterations: 0,
    time: 0,
    state: 'FAILED',
    failed: reason,
    balance: {
      iterations: 0,
      reportInterval: -1,
      balanced: false,
      maxPartitions: 0,
      partitions: [],
      stopped: true,
    },
    createdAt: now,
    input: '',
  });
}
