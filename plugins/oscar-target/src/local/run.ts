// `sls invoke local` for OSCAR services: the service's script on this machine, with the variables OSCAR's
// faas-supervisor gives it, through core's script runner (the one container-lambda's supervisor runs on).
import { copyFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, resolve } from 'node:path';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { resolveBinding, type StorageBinding } from '@serverless-continuum/core/functions';
import {
  mirrorOutputs,
  planUploads,
  runScriptInFolder,
  STDERR_TAIL_LINES,
  type OutputRule,
  type PlannedUpload,
  type ScriptResult,
} from '@serverless-continuum/core/local';

/**
 * What OSCAR's faas-supervisor sets for a script (the names SCAR's supervisor uses too, so scripts move between
 * them unchanged): the input's path and folder, the output folder whose files are uploaded, the object's key in
 * its bucket, and the event OSCAR hands the job (a MinIO notification). Besides these the script gets the
 * service's own variables and secrets, and PATH, HOME, LANG from this machine; no storage credentials.
 */
export const OSCAR_SCRIPT_VARIABLES = [
  'INPUT_FILE_PATH',
  'TMP_INPUT_DIR',
  'TMP_OUTPUT_DIR',
  'STORAGE_OBJECT_KEY',
  'EVENT',
] as const;

export interface OscarLocalRun {
  /** Path of the service's script on this machine. */
  script: string;
  /** The file to process, as if uploaded to the service's input. */
  inputFile: string;
  /** The service's variables (`environment.variables`) and the values of its secrets. */
  environment?: Record<string, string>;
  /** Receives the files OSCAR would upload, at their path relative to TMP_OUTPUT_DIR. */
  outputDir: string;
  /** The service's name, for messages. */
  service?: string;
  /** The service's inputs (`input`): the file is taken as uploaded under the first one. */
  inputs?: StorageBinding[];
  /** The service's outputs (`output`); without any, every file the script writes is collected. */
  outputs?: StorageBinding[];
  /** The object the file is (a chain that received a MinIO event knows it); default: `<first input>/<file name>`. */
  object?: { bucket: string; key: string };
  timeoutSeconds?: number;
  /** Working directory of the script (default: this process's). */
  cwd?: string;
  /** Receives the script's output lines (default: stderr). */
  log?: (line: string) => void;
}

/** One file OSCAR would upload: to `storage` (`minio.default`, `s3.aws`, ...), bucket and key. */
export interface OscarUpload {
  storage: string;
  bucket: string;
  key: string;
  /** The file under `outputDir`. */
  file: string;
}

export interface OscarLocalResult {
  /** Relative paths written under `outputDir`, sorted. */
  files: string[];
  /** Where OSCAR would upload each file, one entry per output that takes it, in the outputs' order. */
  uploads: OscarUpload[];
  stdout: string;
  stderrTail: string;
}

/** Where the file is taken to come from when the service declares no input. */
const LOCAL_INPUT = { bucket: 'local-input', prefix: '' };

/** A MinIO bucket notification (s3:ObjectCreated:Put) for one object, the event OSCAR passes a job as EVENT. */
export function minioEvent(bucket: string, key: string, size: number, eventTime: string): unknown {
  // MinIO escapes keys as Go's url.QueryEscape does: a space is `+`, a slash `%2F`.
  const escaped = encodeURIComponent(key).replace(/%20/g, '+');
  return {
    EventName: 's3:ObjectCreated:Put',
    Key: `${bucket}/${key}`,
    Records: [
      {
        eventVersion: '2.0',
        eventSource: 'minio:s3',
        awsRegion: '',
        eventTime,
        eventName: 's3:ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'Config',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: escaped, size },
        },
      },
    ],
  };
}

interface ResolvedOutput extends OutputRule {
  storage: string;
}

function resolvedOutputs(outputs: StorageBinding[] | undefined): ResolvedOutput[] {
  return (outputs ?? []).map((binding, index) => resolveBinding(binding, `output[${index}]`));
}

/** The object the file stands for: the caller's, or the file under the first input that accepts its name. */
function inputObject(options: OscarLocalRun, service: string): { bucket: string; key: string } {
  if (options.object) return options.object;
  const name = basename(options.inputFile);
  const inputs = (options.inputs ?? []).map((binding, index) => resolveBinding(binding, `input[${index}]`));
  if (inputs.length === 0) return { bucket: LOCAL_INPUT.bucket, key: name };
  const accepting = inputs.find(
    (input) => input.suffix.length === 0 || input.suffix.some((s) => name.endsWith(s)),
  );
  if (!accepting) {
    const suffixes = [...new Set(inputs.flatMap((input) => input.suffix))];
    throw new ContinuumError(
      'CONTINUUM_RUN_FAILED',
      `${options.inputFile}: the service ${service} only processes files ending in ${suffixes.join(', ')}; ` +
        'OSCAR would not run it on this one',
    );
  }
  return { bucket: accepting.bucket, key: accepting.prefix ? `${accepting.prefix}/${name}` : name };
}

function scriptFailed(options: OscarLocalRun, service: string, script: ScriptResult): ContinuumError {
  const how = script.timedOut
    ? `did not finish in ${options.timeoutSeconds} s and was stopped`
    : script.signal
      ? `was killed by ${script.signal}`
      : `exited with code ${script.exitCode}`;
  const lines = script.stderrTail.trim() ? script.stderrTail.split('\n').slice(-STDERR_TAIL_LINES) : [];
  return new ContinuumError(
    script.timedOut ? 'CONTINUUM_DEADLINE' : 'CONTINUUM_SCRIPT_FAILED',
    [
      `${options.inputFile}: the script of service ${service} ${how}; nothing was written, the input file is untouched`,
      ...(lines.length
        ? ['last lines of its stderr:', ...lines.map((line) => `  ${line}`)]
        : ['nothing on its stderr']),
    ].join('\n'),
  );
}

/**
 * Runs the service's script on `inputFile` as OSCAR would after the file's upload to the service's input, and
 * writes to `outputDir` the files OSCAR would upload (all of them, or none when the script fails: then the
 * error names the input file, and the file itself is never changed; the script works on a copy).
 */
export async function runOscarScriptLocally(options: OscarLocalRun): Promise<OscarLocalResult> {
  const service = options.service ?? basename(options.script);
  const inputFile = resolve(options.inputFile);
  const info = await stat(inputFile).catch(() => undefined);
  if (!info?.isFile()) {
    throw new ContinuumError('CONTINUUM_INVALID_CONFIG', `--path: ${inputFile} is not a file`);
  }
  const object = inputObject(options, service);
  const outputs = resolvedOutputs(options.outputs);
  // Without outputs OSCAR uploads nothing; a local run still hands back what the script wrote.
  const rules: OutputRule[] = outputs.length ? outputs : [{ bucket: '', prefix: '', suffix: [] }];
  const tmpRoot = tmpdir();
  const now = () => Date.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const event = minioEvent(object.bucket, object.key, info.size, new Date().toISOString());
  let files: string[] = [];
  let failed: ScriptResult | undefined;
  const run = await runScriptInFolder({
    script: resolve(options.script),
    cwd: options.cwd ?? process.cwd(),
    tmpRoot,
    input: {
      name: basename(object.key),
      place: async (path) => copyFile(inputFile, path),
    },
    environment: async ({ inputDir, outputDir, inputPath }) => ({
      PATH: process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: tmpRoot,
      LANG: process.env.LANG || 'C.UTF-8',
      ...options.environment,
      TMP_INPUT_DIR: inputDir,
      TMP_OUTPUT_DIR: outputDir,
      ...(inputPath ? { INPUT_FILE_PATH: inputPath } : {}),
      STORAGE_OBJECT_KEY: object.key,
      EVENT: JSON.stringify(event),
    }),
    outputs: rules,
    publish: async (plan) => {
      files = await collect(plan, options.outputDir);
    },
    subject: inputFile,
    ...(options.timeoutSeconds !== undefined ? { deadlineAt: now() + options.timeoutSeconds * 1000 } : {}),
    now,
    log,
    onScriptRun: (script) => {
      if (script.timedOut || script.exitCode !== 0) failed = script;
    },
  });
  if (failed) throw scriptFailed(options, service, failed);
  const uploads: OscarUpload[] = [];
  for (const output of outputs) {
    for (const upload of planUploads([output], resolve(options.outputDir), files)) {
      uploads.push({ storage: output.storage, bucket: upload.bucket, key: upload.key, file: upload.file });
    }
  }
  return {
    files,
    uploads,
    stdout: run.script.stdout.toString('utf8'),
    stderrTail: run.script.stderrTail,
  };
}

/** Copies each planned file once to `outDir/<relative path>`; each appears whole. */
function collect(plan: readonly PlannedUpload[], outDir: string): Promise<string[]> {
  return mirrorOutputs(plan, outDir, (upload, path) => copyFile(upload.file, path));
}
