// `sls container run -f <fn> --file <path> [--local] [--out <dir>]`: one file through the function, in the
// cloud (upload to the input, wait for the outputs, download them) or on this machine with the supervisor;
// with `--existing`, every object already in the input instead (run-existing.ts).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, ContinuumError } from '@serverless-continuum/core/errors';
import type { Storage } from '@serverless-continuum/core/storage';
import { inS3, type ResolvedContainerFunction } from '../config';
import { runtimeBindings } from '../compile/environment';
import { secretsByService } from '../compile/secrets';
import { runLocal } from '../local/run';
import { STDERR_TAIL_LINES } from '@serverless-continuum/core/local';
import { commandFunction, functionTimeout, outputDir, type CommandContext } from './command-context';
import { cloudStorage, downloadObjects, listBinding, putFile, type ListedObject } from './storage';

export interface RunReport {
  /** Files written under outDir, relative to it. */
  files: string[];
  stdout?: string;
}

/** Lines of stdout a failure shows: the end of what the script printed, where its last words are. */
const STDOUT_TAIL_LINES = 10;

function lastLines(text: string, count: number): string[] {
  const lines = text.replace(/\n+$/, '').split('\n');
  return text.trim() ? lines.slice(-count) : [];
}

/** `the script exited with code 3`, then the end of each stream, so the reason shows without --verbose. */
export function scriptFailure(
  name: string,
  result: { exitCode: number; stdout: string; stderrTail: string },
  verbose: boolean,
): ContinuumError {
  const head = `${name}: the script exited with code ${result.exitCode}; nothing was written`;
  // With --verbose every line of both streams was printed as the script ran.
  if (verbose) return new ContinuumError('CONTINUUM_SCRIPT_FAILED', `${head}; its output is above`);
  const stream = (label: string, lines: string[]) =>
    lines.length
      ? [
          `${lines.length === 1 ? 'last line' : `last ${lines.length} lines`} of its ${label}:`,
          ...lines.map((line) => `  ${line}`),
        ]
      : [`nothing on its ${label}`];
  return new ContinuumError(
    'CONTINUUM_SCRIPT_FAILED',
    [
      head,
      ...stream('stderr', lastLines(result.stderrTail, STDERR_TAIL_LINES)),
      ...stream('stdout', lastLines(result.stdout, STDOUT_TAIL_LINES)),
      '(--verbose prints all of both)',
    ].join('\n'),
  );
}

export async function runLocally(
  fn: ResolvedContainerFunction,
  file: string,
  outDir: string,
  log: (line: string) => void,
  options: { timeoutSeconds?: number; verbose?: boolean } = {},
): Promise<RunReport> {
  if (!fn.script) {
    throw new ContinuumError(
      'CONTINUUM_INVALID_CONFIG',
      `functions.${fn.name}.container.script: needed to run locally (the image is prebuilt; point script at the file baked into it)`,
    );
  }
  // Locally the file is read, never uploaded: say what is wrong with it, not that an upload failed.
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError('--file', `${path} does not exist`);
  if (!statSync(path).isFile()) throw new ConfigError('--file', `${path} is not a file`);
  const result = await runLocal({
    functionName: fn.name,
    script: fn.script,
    environment: fn.environment,
    secrets: secretsByService(fn),
    inputs: runtimeBindings(fn.inputs),
    outputs: runtimeBindings(fn.outputs),
    file: path,
    outDir: resolve(outDir),
    ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
    log,
  });
  if (result.exitCode !== 0) throw scriptFailure(fn.name, result, options.verbose === true);
  return { files: result.uploaded, stdout: result.stdout };
}

export interface CloudRunOptions {
  /** Give up after this long without the outputs (seconds). */
  waitSeconds: number;
  pollMs?: number;
  progress?: (message: string) => void;
}

/**
 * Uploads the file to the first input, then polls the output prefixes for objects written after the upload
 * (by the storage's clock) and downloads them once no new object appeared for one more poll.
 */
export async function runInCloud(
  storage: Storage,
  fn: ResolvedContainerFunction,
  file: string,
  outDir: string,
  options: CloudRunOptions,
): Promise<RunReport> {
  // Outputs on MinIO, WebDAV or Onedata are written by the supervisor but not read back from here.
  const s3Outputs = fn.outputs.filter(inS3);
  if (!s3Outputs.length) {
    throw new ContinuumError(
      'CONTINUUM_INVALID_CONFIG',
      `functions.${fn.name}.output: the function has no S3 output to wait for`,
    );
  }
  const progress = options.progress ?? (() => undefined);
  const { bucket, key } = await putFile(storage, fn, file);
  const uploaded = await storage.head(bucket, key);
  const since = uploaded?.lastModified?.getTime() ?? Date.now();
  progress(`Uploaded s3://${bucket}/${key}; waiting for the outputs of ${fn.name}`);

  const pollMs = options.pollMs ?? 2000;
  const deadline = Date.now() + options.waitSeconds * 1000;
  let found: ListedObject[] = [];
  while (Date.now() < deadline) {
    await sleep(pollMs);
    const fresh: ListedObject[] = [];
    for (const binding of s3Outputs) {
      for (const object of await listBinding(storage, binding)) {
        // Storage timestamps have second precision: an object from the same second counts as new.
        if ((object.lastModified?.getTime() ?? 0) >= Math.floor(since / 1000) * 1000) fresh.push(object);
      }
    }
    if (fresh.length && fresh.length === found.length) break;
    if (fresh.length) progress(`${fresh.length} output object(s) so far`);
    found = fresh;
  }
  if (!found.length) {
    throw new ContinuumError(
      'CONTINUUM_RUN_FAILED',
      `${fn.name}: no output appeared within ${options.waitSeconds} s of uploading s3://${bucket}/${key} (see sls logs -f ${fn.name})`,
    );
  }
  return { files: await downloadObjects(storage, found, outDir) };
}

/** `sls container run`: one file through the function, on this machine (`--local`) or in the cloud. */
export async function runCommand(ctx: CommandContext): Promise<void> {
  if (ctx.options.existing) {
    const { runExistingCommand } = require('./run-existing') as typeof import('./run-existing');
    return runExistingCommand(ctx);
  }
  const fn = commandFunction(ctx);
  if (typeof ctx.options.file !== 'string') {
    throw new ConfigError(
      '--file',
      'required: the file to run through the function',
      'or --existing, to process the objects already in its input',
    );
  }
  if (ctx.options.prefix !== undefined) throw new ConfigError('--prefix', 'only goes with --existing');
  const file = ctx.options.file;
  const outDir = outputDir(ctx, fn);
  const timeout = functionTimeout(ctx, fn);
  const { utils, options } = ctx;
  if (options.local) {
    const report = await runLocally(fn, file, outDir, (line) => utils.log.verbose(line), {
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
      verbose: options.verbose === true,
    });
    if (report.stdout) utils.writeText(report.stdout.trimEnd());
    utils.log.success(`${fn.name} ran locally: ${report.files.length} file(s) in ${outDir}`);
    for (const f of report.files) utils.writeText(`  ${f}`);
    return;
  }
  const progress = utils.progress.create({ message: `Running ${fn.name}`, name: 'container-run' });
  try {
    const wait = Number(options.wait ?? (timeout ?? 300) + 60);
    const report = await runInCloud(await cloudStorage(ctx), fn, file, outDir, {
      waitSeconds: fn.execution === 'lambda' || options.wait ? wait : Math.max(wait, 3600),
      progress: (message) => progress.update(message),
    });
    utils.log.success(`${fn.name}: ${report.files.length} file(s) in ${outDir}`);
    for (const f of report.files) utils.writeText(`  ${f}`);
  } finally {
    progress.remove();
  }
}
