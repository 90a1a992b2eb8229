// One script run in a fresh folder under the temp root: the input placed, the contract's variables set, the
// script run, and its outputs published all or nothing; the folder is removed whatever happens.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { downloadToFile, safeJoin, uploadFile } from '@serverless-continuum/core/storage';
import { assertCreatedInside, listOutputFiles, planUploads, type PlannedUpload } from './outputs';
import type { InvocationContext, ProcessDeps } from './process';
import { runScript, type ScriptResult } from './script';

export interface Workspace {
  input?: { name: string; object?: { bucket: string; key: string }; body?: Buffer };
  event: unknown;
  eventTime: string;
  storageObjectKey?: string;
  /** More variables for the script (HTTP query parameters as SCAR's `CONT_VAR_<name>`). */
  variables?: Record<string, string>;
  /** Names the work in errors: `s3://bucket/key`, `the HTTP call`, ... */
  subject: string;
}

export interface WorkspaceRun {
  script: ScriptResult;
  uploaded: PlannedUpload[];
}

export async function runInWorkspace(
  deps: ProcessDeps,
  context: InvocationContext,
  deadlineAt: number | undefined,
  work: Workspace,
): Promise<WorkspaceRun> {
  const root = await mkdtemp(join(deps.tmpRoot, 'continuum-'));
  try {
    const inputDir = join(root, 'input');
    const outputDir = join(root, 'output');
    await mkdir(inputDir);
    await mkdir(outputDir);
    let inputPath: string | undefined;
    if (work.input) {
      // The key's last segment becomes a file name only after this check: it can never leave inputDir.
      inputPath = safeJoin(inputDir, work.input.name);
      if (work.input.object) {
        const { bucket, key } = work.input.object;
        deps.log(`downloading s3://${bucket}/${key}`);
        await downloadToFile(deps.storage, bucket, key, inputPath);
      } else {
        await writeFile(inputPath, work.input.body ?? Buffer.alloc(0));
      }
    }
    const env: Record<string, string> = {
      ...deps.baseEnvironment,
      ...deps.settings.userEnvironment,
      ...(await deps.secrets?.()),
      ...work.variables,
      TMP_INPUT_DIR: inputDir,
      TMP_OUTPUT_DIR: outputDir,
      EVENT: JSON.stringify(work.event) ?? 'null',
      EVENT_TIME: work.eventTime,
      REQUEST_ID: context.requestId,
    };
    if (inputPath) env.INPUT_FILE_PATH = inputPath;
    if (work.storageObjectKey !== undefined) env.STORAGE_OBJECT_KEY = work.storageObjectKey;
    const script = await runScript({
      script: deps.settings.script,
      env,
      cwd: deps.cwd,
      deadlineAt,
      now: deps.now,
      log: deps.log,
      maxStdoutBytes: deps.maxStdoutBytes,
      sweep: deps.sweep,
    });
    deps.onScriptRun?.(script);
    if (script.timedOut || script.exitCode !== 0) return { script, uploaded: [] };
    const plan = planUploads(deps.settings.outputs, outputDir, await listOutputFiles(outputDir));
    try {
      await assertCreatedInside(plan);
    } catch (error) {
      const message = `${work.subject}: ${(error as Error).message}; nothing was published`;
      throw new ContinuumError('CONTINUUM_UNSAFE_OUTPUT', message, { cause: error });
    }
    await publish(deps, plan, work.subject);
    deps.onPublished?.(plan);
    return { script, uploaded: plan };
  } finally {
    // Lambda reuses /tmp between invocations: leave nothing behind.
    await rm(root, { recursive: true, force: true });
  }
}

/** Uploads every planned file; when one fails, removes the ones already written, so it is all or nothing. */
async function publish(deps: ProcessDeps, plan: PlannedUpload[], subject: string): Promise<void> {
  const done: PlannedUpload[] = [];
  try {
    for (const upload of plan) {
      await uploadFile(deps.storage, upload.bucket, upload.key, upload.file);
      done.push(upload);
      deps.log(`uploaded s3://${upload.bucket}/${upload.key}`);
    }
  } catch (error) {
    await Promise.allSettled(done.map((u) => deps.storage.delete(u.bucket, u.key)));
    throw new ContinuumError(
      'CONTINUUM_STORAGE',
      `${subject}: publishing the outputs failed, none were kept: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
