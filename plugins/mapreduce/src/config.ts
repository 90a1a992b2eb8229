// The `custom.mapreduce.<job>` schema, its derived type, and the cross-field rules that turn it into a JobRuntimeConfig.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { LOG_RETENTION_DAYS } from '@serverless-continuum/core/cfn';
import { ConfigError } from '@serverless-continuum/core/errors';
import type { NodeRuntimeSource } from '@serverless-continuum/core/image';
import {
  imageRepositorySchema,
  insecureRegistriesSchema,
  nodeRuntimeSchema,
  runtimeSource,
} from '@serverless-continuum/core/image/settings';
import { parseStoragePath, storagePathSchema } from '@serverless-continuum/core/functions';
import type { JobRuntimeConfig } from './runtime/contract';
import { commandArgv, DEFAULT_MAX_LINE_BYTES, type StreamingPrograms } from './runtime/streaming/programs';

const roleResources = {
  type: 'object',
  properties: {
    memorySize: { type: 'integer', minimum: 128, maximum: 10240 },
    timeout: { type: 'integer', minimum: 1, maximum: 900 },
  },
  additionalProperties: false,
} as const;

/** `bucket/prefix`, as in SCAR/OSCAR storage paths (core's schema: the bucket part follows S3's naming rules). */
const storagePath = storagePathSchema;

/** `<module path>.<export>`: the last dot separates the export name. */
const exportPath = { type: 'string', pattern: '^\\S+\\.[A-Za-z_$][A-Za-z0-9_$]*$' } as const;

const size = {
  anyOf: [
    { type: 'integer', minimum: 1 },
    { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*([KMGT]i?B|B)?\\s*$' },
  ],
} as const;

/** A program as argv: one string split at whitespace (no shell, no quoting), or the list of arguments itself. */
const command = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  ],
} as const;

/** A streaming job: map, combine and reduce are executables speaking Hadoop Streaming's contract. */
const streamingSchema = {
  type: 'object',
  properties: {
    /** The base image the mapper and reducer functions are assembled on (`python:3.12-slim`, any registry). */
    image: { type: 'string', minLength: 1 },
    /**
     * An image already assembled (by CI) for the job, pinned by digest: `<account>.dkr.ecr.<region>.amazonaws.com/
     * <repo>@sha256:<digest>`; used as it is by both functions, nothing is assembled at package time.
     */
    uri: {
      type: 'string',
      pattern:
        '^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$',
    },
    /**
     * The ECR repository of the deploying account the assembled image is pushed to at deploy (created if missing,
     * the image tagged `<job>-mapreduce`); default `serverless-continuum/<service>-<stage>`, as container-lambda's.
     */
    repository: imageRepositorySchema,
    /** Where the image takes Node.js from (core's image settings, as `custom.containerLambda.runtime`). */
    runtime: nodeRuntimeSchema,
    insecureRegistries: insecureRegistriesSchema,
    map: command,
    combine: command,
    reduce: command,
    /** The longest line a program may write (default 8MB): a longer one fails its task. */
    maxLineLength: size,
  },
  required: ['map', 'reduce'],
  additionalProperties: false,
} as const;

export const jobSchema = {
  type: 'object',
  properties: {
    input: storagePath,
    output: storagePath,
    temp: storagePath,
    map: exportPath,
    reduce: exportPath,
    combine: exportPath,
    streaming: streamingSchema,
    records: { enum: ['lines', 'jsonl'] },
    chunkSize: size,
    mappers: { type: 'integer', minimum: 1, maximum: 100000 },
    reducers: { type: 'integer', minimum: 1, maximum: 10000 },
    outputFormat: { enum: ['tsv', 'jsonl'] },
    concurrency: { type: 'integer', minimum: 1, maximum: 10000 },
    retries: { type: 'integer', minimum: 0, maximum: 10 },
    stragglers: { type: 'boolean' },
    coordinator: roleResources,
    mapper: roleResources,
    reducer: roleResources,
    /** Days the three functions' log groups keep their logs; default `provider.logRetentionInDays`, else 30. */
    logRetentionInDays: { enum: LOG_RETENTION_DAYS },
  },
  // `map` and `reduce` (modules) or `streaming` (programs): checked in resolveJob, which names the path.
  required: ['input', 'output'],
  additionalProperties: false,
} as const;

/**
 * `custom.mapreduce`: job name -> job. Job names become function names, so they stay short and plain; that
 * rule is checked in resolveJob, whose message names the job (the schema's `propertyNames` error does not).
 */
export const mapreduceSchema = {
  type: 'object',
  additionalProperties: jobSchema,
} as const;

export type MapreduceJobConfig = FromSchema<typeof jobSchema>;
export type MapreduceConfig = Record<string, MapreduceJobConfig>;

export type Role = 'coordinator' | 'mapper' | 'reducer';
export const ROLES: readonly Role[] = ['coordinator', 'mapper', 'reducer'];

export interface ModuleRef {
  /** Absolute path of the user's module file. */
  file: string;
  export: string;
}

/** Where a streaming job's mapper and reducer images come from. */
export interface StreamingImage {
  /** The base to assemble on (`streaming.image`). */
  base?: string;
  /** A prebuilt, digest-pinned image (`streaming.uri`): used as it is. */
  uri?: string;
  /** `streaming.repository`: the deploying account's ECR repository the assembled image is pushed to. */
  repository?: string;
  /** `streaming.runtime`: where the image's Node.js comes from; the pinned default when absent. */
  runtime?: NodeRuntimeSource;
  /** `streaming.insecureRegistries`: loopback test registries. */
  insecureRegistries?: string[];
}

export interface ResolvedJob {
  name: string;
  runtime: JobRuntimeConfig;
  /** A JavaScript job's modules; absent for a streaming job, whose programs are in `runtime.streaming`. */
  modules?: { map: ModuleRef; reduce: ModuleRef; combine?: ModuleRef };
  /** A streaming job's image. */
  image?: StreamingImage;
  roles: Record<Role, { memorySize: number; timeout: number }>;
  /** `logRetentionInDays` as written; unset, the service's or the suite's default applies. */
  logRetentionInDays?: number;
}

export const DEFAULTS = {
  chunkSize: 64 * 1024 * 1024,
  reducers: 4,
  concurrency: 100,
  retries: 2,
  records: 'lines',
  outputFormat: 'tsv',
  roles: {
    // 1769 MB is one full vCPU on Lambda; the coordinator mostly waits on invocations.
    coordinator: { memorySize: 512, timeout: 900 },
    mapper: { memorySize: 1769, timeout: 300 },
    reducer: { memorySize: 3008, timeout: 900 },
  },
} as const;

/** Share of the reducer's memory used for in-memory merging; the rest is Node, buffers and the output stream. */
const REDUCER_BUDGET_SHARE = 0.4;

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  KIB: 1024,
  MB: 1024 ** 2,
  MIB: 1024 ** 2,
  GB: 1024 ** 3,
  GIB: 1024 ** 3,
  TB: 1024 ** 4,
  TIB: 1024 ** 4,
};

/** `64MB`, `512KB`, `1.5GB` (binary units) or a byte count; throws naming `path` otherwise. */
export function parseSize(value: unknown, path: string): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 1) return value;
    throw new ConfigError(path, `must be a positive whole number of bytes, got ${value}`);
  }
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value) : null;
  const factor = match ? UNITS[(match[2] || 'B').toUpperCase()] : undefined;
  if (!match || factor === undefined) {
    throw new ConfigError(
      path,
      `invalid size ${JSON.stringify(value)}`,
      'write e.g. 64MB, 512KB or a byte count',
    );
  }
  const bytes = Math.floor(Number(match[1]) * factor);
  if (bytes < 1) throw new ConfigError(path, `size must be at least 1 byte, got ${JSON.stringify(value)}`);
  return bytes;
}

export interface StorageLocation {
  bucket: string;
  /** `''` (the whole bucket) or a prefix ending in `/`. */
  prefix: string;
}

/** `bucket/some/prefix` -> `{ bucket, prefix: 'some/prefix/' }`: core's storage-path parser, `folder` convention. */
export function parseLocation(value: string, path: string): StorageLocation {
  // A job has always said this in its own words (core's parser would say `has a . or .. segment`).
  if (
    value
      .split('/')
      .slice(1)
      .some((s) => s === '.' || s === '..')
  ) {
    throw new ConfigError(path, `prefix may not contain "." or ".." segments: ${JSON.stringify(value)}`);
  }
  return parseStoragePath(value, path, { prefix: 'folder', bucketName: true });
}

/** True when the two locations share objects: same bucket and one prefix contains the other. */
export function overlaps(a: StorageLocation, b: StorageLocation): boolean {
  return a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
}

const MODULE_EXTENSIONS = ['', '.ts', '.js', '.mjs', '.cjs', '.mts', '.cts'];

/** `src/wordcount.map` -> the module file and export; the module may be written with or without its extension. */
export function resolveExport(value: string, path: string, serviceDir: string): ModuleRef {
  const dot = value.lastIndexOf('.');
  const modulePath = dot > 0 ? value.slice(0, dot) : '';
  const exportName = dot > 0 ? value.slice(dot + 1) : '';
  if (!modulePath || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(exportName)) {
    throw new ConfigError(path, `expected <module path>.<export>, got ${JSON.stringify(value)}`);
  }
  const base = resolve(serviceDir, modulePath);
  const rel = relative(serviceDir, base);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new ConfigError(path, `module ${JSON.stringify(modulePath)} is outside the service folder`);
  }
  const candidates = [
    ...MODULE_EXTENSIONS.map((ext) => base + ext),
    ...MODULE_EXTENSIONS.slice(1).map((ext) => resolve(base, `index${ext}`)),
  ];
  const file = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  if (!file) {
    const tried = candidates.map((c) => relative(serviceDir, c)).join(', ');
    throw new ConfigError(path, `cannot find module ${JSON.stringify(modulePath)}`, `tried ${tried}`);
  }
  return { file, export: exportName };
}

/** Applies the cross-field rules and defaults to one job; every error names the config path to fix. */
export function resolveJob(name: string, raw: MapreduceJobConfig, serviceDir: string): ResolvedJob {
  const at = (key: string) => `custom.mapreduce.${name}.${key}`;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(name)) {
    throw new ConfigError(
      `custom.mapreduce.${name}`,
      'job names start with a letter and use letters, digits and "-" (at most 40 characters)',
      'the name becomes part of its function names',
    );
  }
  for (const key of raw.streaming
    ? (['input', 'output'] as const)
    : (['input', 'output', 'map', 'reduce'] as const)) {
    if (typeof raw[key] !== 'string') throw new ConfigError(at(key), 'required');
  }
  if (raw.streaming) {
    const modulesToo = (['map', 'reduce', 'combine'] as const).find((key) => raw[key] !== undefined);
    if (modulesToo) {
      throw new ConfigError(
        at(modulesToo),
        'a streaming job runs streaming.map/combine/reduce: set either JavaScript modules or streaming, not both',
      );
    }
  }
  const input = parseLocation(raw.input, at('input'));
  const output = parseLocation(raw.output, at('output'));
  if (overlaps(input, output)) {
    throw new ConfigError(
      at('output'),
      `overlaps the input ${raw.input}: results written there would start new runs`,
      'use a different bucket or a prefix outside the input prefix',
    );
  }
  const temp = raw.temp
    ? parseLocation(raw.temp, at('temp'))
    : { bucket: output.bucket, prefix: `${output.prefix}_temporary/` };
  if (overlaps(input, temp)) {
    throw new ConfigError(
      at('temp'),
      `overlaps the input ${raw.input}: intermediate objects would start new runs`,
    );
  }
  if (raw.chunkSize !== undefined && raw.mappers !== undefined) {
    throw new ConfigError(at('mappers'), 'set either chunkSize or mappers, not both');
  }
  const chunkSize =
    raw.mappers !== undefined
      ? undefined
      : raw.chunkSize !== undefined
        ? parseSize(raw.chunkSize, at('chunkSize'))
        : DEFAULTS.chunkSize;
  const roles = {
    coordinator: { ...DEFAULTS.roles.coordinator, ...raw.coordinator },
    mapper: { ...DEFAULTS.roles.mapper, ...raw.mapper },
    reducer: { ...DEFAULTS.roles.reducer, ...raw.reducer },
  };
  let modules: ResolvedJob['modules'];
  if (!raw.streaming) {
    modules = {
      map: resolveExport(raw.map!, at('map'), serviceDir),
      reduce: resolveExport(raw.reduce!, at('reduce'), serviceDir),
    };
    if (raw.combine !== undefined) modules.combine = resolveExport(raw.combine, at('combine'), serviceDir);
  }
  const streaming = raw.streaming
    ? resolveStreaming(raw.streaming, at('streaming'), roles, serviceDir)
    : undefined;
  const runtime: JobRuntimeConfig = {
    name,
    input,
    output,
    temp,
    records: raw.records ?? DEFAULTS.records,
    outputFormat: raw.outputFormat ?? DEFAULTS.outputFormat,
    ...(chunkSize !== undefined ? { chunkSize } : {}),
    ...(raw.mappers !== undefined ? { mappers: raw.mappers } : {}),
    reducers: raw.reducers ?? DEFAULTS.reducers,
    concurrency: raw.concurrency ?? DEFAULTS.concurrency,
    retries: raw.retries ?? DEFAULTS.retries,
    reducerMemoryBudget: Math.floor(roles.reducer.memorySize * REDUCER_BUDGET_SHARE * 1024 * 1024),
    stragglers: raw.stragglers ?? false,
    mapperMemoryMb: roles.mapper.memorySize,
    reducerMemoryMb: roles.reducer.memorySize,
    ...(streaming ? { streaming: streaming.programs } : {}),
  };
  return {
    name,
    runtime,
    ...(modules ? { modules } : {}),
    ...(streaming ? { image: streaming.image } : {}),
    roles,
    ...(raw.logRetentionInDays !== undefined ? { logRetentionInDays: raw.logRetentionInDays } : {}),
  };
}

type StreamingConfig = NonNullable<MapreduceJobConfig['streaming']>;

/** `streaming`: each command as argv, the line limit, and the image (a base to assemble on, or a prebuilt one). */
function resolveStreaming(
  raw: StreamingConfig,
  path: string,
  roles: ResolvedJob['roles'],
  serviceDir: string,
): { programs: StreamingPrograms; image: StreamingImage } {
  const argv = (key: 'map' | 'combine' | 'reduce', value: string | readonly string[]): string[] => {
    const result = commandArgv(value);
    if (typeof result === 'string') throw new ConfigError(`${path}.${key}`, result);
    return result;
  };
  for (const key of ['map', 'reduce'] as const) {
    if (raw[key] === undefined) throw new ConfigError(`${path}.${key}`, 'required');
  }
  if (raw.image === undefined && raw.uri === undefined) {
    throw new ConfigError(
      `${path}.image`,
      'required',
      'the image the programs run in on Lambda (python:3.12-slim), or streaming.uri for one built already',
    );
  }
  const runtime = runtimeSource(raw.runtime, serviceDir, `${path}.runtime`);
  const programs: StreamingPrograms = {
    map: argv('map', raw.map),
    reduce: argv('reduce', raw.reduce),
    ...(raw.combine !== undefined ? { combine: argv('combine', raw.combine) } : {}),
    maxLineBytes:
      raw.maxLineLength !== undefined
        ? parseSize(raw.maxLineLength, `${path}.maxLineLength`)
        : DEFAULT_MAX_LINE_BYTES,
    mapperTimeout: roles.mapper.timeout,
    reducerTimeout: roles.reducer.timeout,
  };
  return {
    programs,
    image: {
      ...(raw.image !== undefined ? { base: raw.image } : {}),
      ...(raw.uri ? { uri: raw.uri } : {}),
      ...(raw.repository ? { repository: raw.repository } : {}),
      ...(runtime ? { runtime } : {}),
      ...(raw.insecureRegistries ? { insecureRegistries: [...raw.insecureRegistries] } : {}),
    },
  };
}

/**
 * Resolves every job of `custom.mapreduce`. Across jobs, two inputs in one bucket may not overlap:
 * S3 rejects overlapping notification filters for the same event.
 */
export function resolveJobs(config: unknown, serviceDir: string): ResolvedJob[] {
  if (config === undefined || config === null) return [];
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError('custom.mapreduce', 'must be an object of jobs (job name -> job)');
  }
  const jobs = Object.entries(config as Record<string, unknown>).map(([name, raw]) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError(`custom.mapreduce.${name}`, 'must be an object');
    }
    return resolveJob(name, raw as MapreduceJobConfig, serviceDir);
  });
  jobs.forEach((job, i) => {
    const earlier = jobs.slice(0, i).find((other) => overlaps(other.runtime.input, job.runtime.input));
    if (earlier) {
      throw new ConfigError(
        `custom.mapreduce.${job.name}.input`,
        `overlaps the input of job ${earlier.name}`,
        'S3 accepts only one notification per object; use separate prefixes',
      );
    }
  });
  return jobs;
}
