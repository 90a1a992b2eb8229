// The local runner behind `sls container run --local` and `sls invoke local`: the supervisor's own processing
// code on this machine, with a folder as storage instead of S3, no container and no AWS.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, resolve } from 'node:path';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { mirrorOutputs, type PlannedUpload, type ScriptResult } from '@serverless-continuum/core/local';
import { createLocalStorage, downloadToFile, uploadFile } from '@serverless-continuum/core/storage';
import type { SecretsByService, StorageBindingRuntime } from '../runtime/contract';
import { matchBinding, storageEvent } from '../runtime/events';
import { processEvent, type ProcessDeps } from '../runtime/process';
import { hasSecrets, secretsFromEnvironment } from '../runtime/secrets';
import { baseEnvironment, DEFAULT_DEADLINE_MARGIN_MS, type SupervisorSettings } from '../runtime/settings';

export interface LocalFunction {
  functionName: string;
  /** Path of the user's script on this machine. */
  script: string;
  /** The user's variables (`container.environment`). */
  environment: Record<string, string>;
  /** `container.secrets`: a local run reads no AWS secret; each value is this machine's variable of that name. */
  secrets?: SecretsByService;
  inputs: StorageBindingRuntime[];
  outputs: StorageBindingRuntime[];
  timeoutSeconds?: number;
  /** Receives the supervisor's and the script's log lines (default: stderr). */
  log?: (line: string) => void;
}

export interface RunLocalOptions extends LocalFunction {
  /** The file to process, as if uploaded to the (first) input. */
  file: string;
  /** Receives exactly what the cloud run would upload: `<output prefix>/<rel>` lands in `outDir/<rel>`. */
  outDir: string;
}

export interface RunLocalResult {
  /** Relative paths written under `outDir`, sorted (empty when the script failed). */
  uploaded: string[];
  stdout: string;
  /** The last lines the script wrote to stderr (the supervisor keeps only a tail). */
  stderrTail: string;
  exitCode: number;
}

export interface InvokeLocalOptions extends LocalFunction {
  event: unknown;
  /** Local storage root: bucket `b`, key `k` is the file `workDir/b/k`. */
  workDir: string;
}

/** Where the file goes when the function declares no input (only `sls container run --local` needs one). */
const LOCAL_INPUT: StorageBindingRuntime = { storage: 's3', bucket: 'local-input', prefix: '', suffix: [] };

function settingsFor(options: LocalFunction): SupervisorSettings {
  const settings: SupervisorSettings = {
    functionName: options.functionName,
    script: resolve(options.script),
    inputs: options.inputs,
    outputs: options.outputs,
    execution: 'lambda',
    mode: 'local',
    // This machine runs other work: only the script's own processes are ended.
    processScope: 'descendants',
    gpu: 0,
    deadlineMarginMs: DEFAULT_DEADLINE_MARGIN_MS,
    userEnvironment: { ...options.environment },
  };
  if (options.timeoutSeconds !== undefined) settings.timeoutSeconds = options.timeoutSeconds;
  return settings;
}

function depsFor(options: LocalFunction, storage: ProcessDeps['storage']): ProcessDeps {
  const tmpRoot = tmpdir();
  return {
    settings: settingsFor(options),
    storage,
    now: () => Date.now(),
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    tmpRoot,
    cwd: process.cwd(),
    baseEnvironment: baseEnvironment(process.env, tmpRoot),
    ...(hasSecrets(options.secrets)
      ? { secrets: async () => secretsFromEnvironment(options.secrets, process.env, 'local') }
      : {}),
  };
}

/**
 * Runs the function's script on `file` as the cloud would after an upload to its input, and writes to `outDir`
 * the files the cloud run would upload. A failing script (non-zero exit) writes nothing and returns its exit code.
 */
export async function runLocal(options: RunLocalOptions): Promise<RunLocalResult> {
  const name = basename(options.file);
  const keyIn = (binding: StorageBindingRuntime) => (binding.prefix ? `${binding.prefix}/${name}` : name);
  // The file goes where `sls container run` would upload it: the first input whose filters accept it.
  const input =
    options.inputs.length === 0
      ? LOCAL_INPUT
      : options.inputs.find((binding) => matchBinding([binding], binding.bucket, keyIn(binding)));
  if (!input) {
    const suffixes = [...new Set(options.inputs.flatMap((binding) => binding.suffix))];
    throw new ContinuumError(
      'CONTINUUM_RUN_FAILED',
      `${options.file}: the function ${options.functionName} only processes files ending in ${suffixes.join(', ')}; ` +
        'the cloud run would ignore this one',
    );
  }
  const key = keyIn(input);
  const work = await mkdtemp(resolve(tmpdir(), 'continuum-local-'));
  try {
    const storage = createLocalStorage(resolve(work, 'storage'));
    await uploadFile(storage, input.bucket, key, options.file);
    const size = (await stat(options.file)).size;
    let script: ScriptResult | undefined;
    let published: readonly PlannedUpload[] = [];
    const deps: ProcessDeps = {
      ...depsFor(options, storage),
      onScriptRun: (result) => (script = result),
      onPublished: (uploads) => (published = uploads),
    };
    const event = storageEvent(input.bucket, key, size, new Date().toISOString());
    try {
      await processEvent(event, { requestId: randomUUID() }, deps);
    } catch (error) {
      const failed = script as ScriptResult | undefined;
      if ((error as ContinuumError).code === 'CONTINUUM_SCRIPT_FAILED' && failed?.exitCode) {
        return {
          uploaded: [],
          stdout: failed.stdout.toString('utf8'),
          stderrTail: failed.stderrTail,
          exitCode: failed.exitCode,
        };
      }
      throw error;
    }
    const written = await mirror(storage, published, options.outDir);
    const ran = script as ScriptResult | undefined;
    return {
      uploaded: written,
      stdout: ran?.stdout.toString('utf8') ?? '',
      stderrTail: ran?.stderrTail ?? '',
      exitCode: 0,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Copies published objects to `outDir/<relative path>`; each file appears whole. */
function mirror(
  storage: ProcessDeps['storage'],
  published: readonly PlannedUpload[],
  outDir: string,
): Promise<string[]> {
  return mirrorOutputs(published, outDir, (upload, path) =>
    downloadToFile(storage, upload.bucket, upload.key, path),
  );
}

/**
 * The answer the function would give to `event`, with S3 objects read from and written to folders under
 * `workDir` (bucket = sub-folder). Errors are thrown as the cloud run would report them.
 */
export async function invokeLocal(options: InvokeLocalOptions): Promise<unknown> {
  await mkdir(options.workDir, { recursive: true });
  const storage = createLocalStorage(options.workDir);
  return processEvent(options.event, { requestId: randomUUID() }, depsFor(options, storage));
}
