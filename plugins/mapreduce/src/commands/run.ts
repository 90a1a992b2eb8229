// `sls mapreduce run`: a job on a local file with worker threads (--local), or on AWS by uploading to the input prefix.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, ContinuumError } from '@serverless-continuum/core/errors';
import { formatBytes, regionAndStage, serviceDir } from '@serverless-continuum/core/serverless';
import { downloadIntoFolder, parseS3Url, uploadFile, type Storage } from '@serverless-continuum/core/storage';
import type { ResolvedJob, StorageLocation } from '../config';
import type { JobRuntimeConfig } from '../runtime/contract';
import type { RunState } from '../runtime/run-store';
import { selectJob, stringOption, type CommandContext } from './context';
import { describeProgress, openRunTable, type RunProgressSource } from './progress';
import { summarizeRun } from './report';
import { SUCCESS, firstLines, listRuns, readJson, type RunMarker } from './results';
import { jobStorage } from './status';

const TOP_LINES = 10;

export async function runCommand(ctx: CommandContext): Promise<void> {
  const job = selectJob(ctx);
  const input = stringOption(ctx.options, 'input');
  if (!input) throw new ConfigError('--input', 'required', 'a local file or s3://bucket/key');
  if (ctx.options.local === true) await runLocally(ctx, job, input);
  else await runOnAws(ctx, job, input);
}

function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1) {
    throw new ConfigError('--workers', `must be a whole number of at least 1, got ${JSON.stringify(value)}`);
  }
  return workers;
}

function localFile(input: string): string {
  const file = resolve(process.cwd(), input);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new ConfigError('--input', `no such file: ${file}`);
  return file;
}

function progressMessage(job: string, p: { phase: 'map' | 'reduce'; done: number; total: number }): string {
  return p.phase === 'map'
    ? `${job}: mapped ${p.done}/${p.total} splits`
    : `${job}: reduced ${p.done}/${p.total} partitions`;
}

/** The line that says which work folders of killed local runs a run removed, and the space they held. */
export function describeSweep(removed: Array<{ path: string; bytes: number }>): string {
  const total = removed.reduce((n, r) => n + r.bytes, 0);
  const what =
    removed.length === 1 ? 'folder of 1 killed local run' : `folders of ${removed.length} killed local runs`;
  const list = removed.map((r) => `${r.path} (${formatBytes(r.bytes)})`).join(', ');
  return `Removed the work ${what} (${formatBytes(total)}): ${list}`;
}

async function runLocally(ctx: CommandContext, job: ResolvedJob, input: string): Promise<void> {
  if (input.startsWith('s3://')) {
    throw new ConfigError('--input', 'with --local the input is a local file', 'drop --local to run on AWS');
  }
  const file = localFile(input);
  const outputOption = stringOption(ctx.options, 'output') ?? 'mapreduce-output';
  if (outputOption.startsWith('s3://')) {
    throw new ConfigError('--output', 'with --local the output is a local folder');
  }
  const outputDir = resolve(process.cwd(), outputOption);
  const workers = parseWorkers(stringOption(ctx.options, 'workers'));
  // Loaded on demand: the local engine (worker threads) is not needed by `sls package`.
  const { runLocal } = require('../local/run') as typeof import('../local/run');
  const progress = ctx.utils.progress.create({
    message: `${job.name}: running locally on ${basename(file)}`,
    name: 'mapreduce-run',
  });
  const runtime = localChunking(job.runtime, statSync(file).size, workers ?? availableParallelism());
  if (runtime.chunkSize !== job.runtime.chunkSize) {
    ctx.utils.log.info(`Local run: ${formatBytes(runtime.chunkSize ?? 0)} splits so every worker has work`);
  }
  let result: Awaited<ReturnType<typeof runLocal>>;
  try {
    result = await runLocal({
      job: runtime,
      ...(job.modules ? { modules: job.modules } : {}),
      serviceDir: serviceDir(ctx.serverless),
      input: file,
      outputDir,
      ...(workers ? { workers } : {}),
      region: regionAndStage(ctx.serverless, ctx.options).region,
      onProgress: (p) => progress.update(progressMessage(job.name, p)),
      onSweep: (removed) => ctx.utils.log.notice(describeSweep(removed)),
    });
  } finally {
    progress.remove();
  }
  const runDir = result.parts[0] ? dirname(result.parts[0]) : join(outputDir, result.runId);
  const firstPart = result.parts[0];
  ctx.utils.writeText([
    `Run ${result.runId} of job ${job.name} succeeded`,
    ...summarizeRun(result.report),
    `Report: ${join(runDir, SUCCESS)}`,
    `Parts: ${result.parts.length} in ${runDir}`,
    ...(firstPart
      ? [
          `First lines of ${basename(firstPart)}:`,
          ...firstLines(readHead(firstPart), TOP_LINES).map((l) => `  ${l}`),
        ]
      : []),
  ]);
}

const MB = 1024 * 1024;

/**
 * Splits sized for Lambda (64 MB by default) leave most local workers idle on a file of a few chunks;
 * locally a file smaller than `workers` chunks is cut into `workers` splits (whole MBs). Results do not
 * depend on the split size: every record is read by exactly one split either way.
 */
export function localChunking(job: JobRuntimeConfig, fileSize: number, workers: number): JobRuntimeConfig {
  if (job.chunkSize === undefined || workers < 2 || fileSize >= job.chunkSize * workers) return job;
  const chunkSize = Math.max(MB, Math.ceil(fileSize / workers / MB) * MB);
  return chunkSize < job.chunkSize ? { ...job, chunkSize } : job;
}

/** The first 64 KB of a part, enough for its first lines without reading a large part whole. */
function readHead(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Poll period while following a run on AWS; tests shorten it. */
function pollMs(): number {
  const value = Number(process.env.MAPREDUCE_POLL_MS);
  return Number.isFinite(value) && value > 0 ? value : 2000;
}

/** How long after the upload `run` waits for the run to appear in the run table before it warns; tests shorten it. */
function startWarnMs(): number {
  const value = Number(process.env.MAPREDUCE_START_WARN_MS);
  return Number.isFinite(value) && value > 0 ? value : 60_000;
}

async function runOnAws(ctx: CommandContext, job: ResolvedJob, input: string): Promise<void> {
  const { input: inputLocation, output } = job.runtime;
  const downloadOption = stringOption(ctx.options, 'output');
  if (downloadOption?.startsWith('s3://')) {
    throw new ConfigError(
      '--output',
      `a deployed job writes to s3://${output.bucket}/${output.prefix} (custom.mapreduce.${job.name}.output)`,
      'give a local folder to download the result into',
    );
  }
  const storage = await jobStorage(ctx);
  const before = new Set((await listRuns(storage, output)).map((r) => r.key));
  let key: string;
  let upload: string | undefined;
  if (input.startsWith('s3://')) {
    const target = parseS3Url(input);
    if (target.bucket !== inputLocation.bucket || !target.key.startsWith(inputLocation.prefix)) {
      throw new ConfigError(
        '--input',
        `${input} is not under the job's input s3://${inputLocation.bucket}/${inputLocation.prefix}`,
        'only uploads there start runs',
      );
    }
    key = target.key;
  } else {
    upload = localFile(input);
    key = `${inputLocation.prefix}${basename(upload)}`;
  }
  let tableReadable = true;
  const table = await openRunTable(ctx, job, (error) => {
    tableReadable = false;
    ctx.utils.log.verbose(`Run table not readable, following the output only: ${error.message}`);
  });
  try {
    await followRun(ctx, job, {
      ...(upload ? { upload } : {}),
      key,
      storage,
      before,
      table,
      tableReadable: () => tableReadable,
      ...(downloadOption ? { downloadTo: resolve(process.cwd(), downloadOption) } : {}),
    });
  } finally {
    table.close();
  }
}

/** Uploads the input (unless it is already in S3) and waits for its run's marker, showing its progress. */
async function followRun(
  ctx: CommandContext,
  job: ResolvedJob,
  run: {
    /** The local file to upload to `key`; absent when the input is already in S3. */
    upload?: string;
    key: string;
    storage: Storage;
    /** Markers under the output before the upload: not this run's. */
    before: Set<string>;
    table: RunProgressSource;
    tableReadable: () => boolean;
    /** The folder to download the result into (`--output`). */
    downloadTo?: string;
  },
): Promise<void> {
  const { upload, key, storage, before, table, tableReadable, downloadTo } = run;
  const { input: inputLocation, output } = job.runtime;
  // A file upload starts a new run: runs of an earlier upload of the same key are not this one's.
  const earlierRuns = new Set(upload ? await table.runIds(key) : []);
  if (upload) {
    const uploading = ctx.utils.progress.create({
      message: `Uploading ${basename(upload)}`,
      name: 'mapreduce-upload',
    });
    try {
      await uploadFile(storage, inputLocation.bucket, key, upload);
    } finally {
      uploading.remove();
    }
    ctx.utils.log.notice(`Uploaded s3://${inputLocation.bucket}/${key}: the upload starts the run`);
  } else {
    ctx.utils.log.notice(`Following the run of s3://${inputLocation.bucket}/${key}`);
  }
  const progress = ctx.utils.progress.create({
    message: `${job.name}: waiting for the run of ${key} (Ctrl-C stops waiting, not the run)`,
    name: 'mapreduce-run',
  });
  // A run that never shows up in a readable run table was never started: say where to look, once.
  const waitingSince = Date.now();
  let started = false;
  let warned = false;
  const warnIfNotStarted = () => {
    if (started || warned || !tableReadable() || Date.now() - waitingSince < startWarnMs()) return;
    warned = true;
    ctx.utils.log.warning(
      `No run of s3://${inputLocation.bucket}/${key} has started after ${startWarnMs() / 1000} s. ` +
        `Is the job deployed (sls deploy) with its trigger on s3://${inputLocation.bucket}/${inputLocation.prefix}? ` +
        `sls mapreduce logs --job ${job.name} --role coordinator shows what the coordinator did. ` +
        'Still waiting (Ctrl-C stops waiting).',
    );
  };
  let lastPhase: string | undefined;
  const onState = (run: RunState) => {
    progress.update(describeProgress(job.name, run));
    if (run.phase !== lastPhase) {
      lastPhase = run.phase;
      ctx.utils.log.notice(describeProgress(job.name, run));
    }
  };
  let found: { marker: RunMarker; report: unknown };
  try {
    found = await waitForRun(storage, job, key, before, async () => {
      const run = await table.find(key, earlierRuns);
      if (run) {
        started = true;
        onState(run);
      } else warnIfNotStarted();
    });
  } finally {
    progress.remove();
  }
  const { marker, report } = found;
  const lines = [
    `Run ${marker.runId} of job ${job.name} ${marker.status}`,
    ...summarizeRun(report),
    `Report: s3://${output.bucket}/${marker.key}`,
  ];
  if (marker.status === 'failed') {
    ctx.utils.writeText(lines);
    throw new ContinuumError(
      'CONTINUUM_RUN_FAILED',
      `run ${marker.runId} of job ${job.name} failed; intermediate objects are kept, see s3://${output.bucket}/${marker.key}`,
    );
  }
  const partKey = `${output.prefix}${marker.runId}/part-00000`;
  const head = (await storage.head(output.bucket, partKey))
    ? await storage.getBytes(output.bucket, partKey, { start: 0, end: 64 * 1024 })
    : undefined;
  const downloaded = downloadTo ? await downloadRun(storage, output, marker.runId, downloadTo) : undefined;
  ctx.utils.writeText([
    ...lines,
    ...(downloaded ? [`Downloaded ${downloaded.files} files to ${downloaded.dir}`] : []),
    ...(head
      ? ['First lines of part-00000:', ...firstLines(head.toString('utf8'), TOP_LINES).map((l) => `  ${l}`)]
      : []),
  ]);
}

/** Copies a finished run (`part-*` and `_SUCCESS.json`) to `<folder>/<run id>/`; keys never leave that folder. */
async function downloadRun(
  storage: Storage,
  output: StorageLocation,
  runId: string,
  folder: string,
): Promise<{ dir: string; files: number }> {
  const prefix = `${output.prefix}${runId}/`;
  const dir = join(folder, runId);
  let files = 0;
  for await (const object of storage.list(output.bucket, prefix)) {
    const name = object.key.slice(prefix.length);
    if (name !== SUCCESS && !/^part-\d+$/.test(name)) continue;
    await downloadIntoFolder(storage, output.bucket, object.key, dir, name);
    files++;
  }
  return { dir, files };
}

/** A new `_SUCCESS.json`/`_FAILED.json` whose `input.key` is the uploaded key belongs to our run. */
async function waitForRun(
  storage: Storage,
  job: ResolvedJob,
  key: string,
  before: Set<string>,
  onPoll: () => Promise<void>,
): Promise<{ marker: RunMarker; report: unknown }> {
  const { output } = job.runtime;
  const checked = new Set<string>();
  for (;;) {
    for (const marker of await listRuns(storage, output)) {
      if (before.has(marker.key) || checked.has(marker.key)) continue;
      checked.add(marker.key);
      const report = (await readJson(storage, output.bucket, marker.key)) as { input?: { key?: string } };
      if (report?.input?.key === key) return { marker, report };
    }
    await onPoll();
    await sleep(pollMs());
  }
}
