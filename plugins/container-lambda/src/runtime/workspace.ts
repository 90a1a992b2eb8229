// One script run in a fresh folder (core's runScriptInFolder) with the supervisor's contract: the input downloaded
// or written, SCAR's variables set, and the outputs published to storage all or nothing.
import { writeFile } from 'node:fs/promises';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { runScriptInFolder, type PlannedUpload, type ScriptResult } from '@serverless-continuum/core/local';
import { downloadToFile, uploadFile } from '@serverless-continuum/core/storage';
import type { InvocationContext, ProcessDeps } from './process';
import { uploadLocation, type OutputStore } from './stores';

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
  const input = work.input;
  const run = await runScriptInFolder({
    script: deps.settings.script,
    cwd: deps.cwd,
    tmpRoot: deps.tmpRoot,
    input: input && {
      name: input.name,
      place: async (path) => {
        if (input.object) {
          const { bucket, key } = input.object;
          deps.log(`downloading s3://${bucket}/${key}`);
          await downloadToFile(deps.storage, bucket, key, path);
        } else {
          await writeFile(path, input.body ?? Buffer.alloc(0));
        }
      },
    },
    environment: async ({ inputDir, outputDir, inputPath }) => {
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
      return env;
    },
    outputs: deps.settings.outputs,
    publish: async (plan) => {
      await publish(deps, plan, work.subject);
      deps.onPublished?.(plan);
    },
    subject: work.subject,
    deadlineAt,
    now: deps.now,
    log: deps.log,
    maxStdoutBytes: deps.maxStdoutBytes,
    sweep: deps.sweep,
    onScriptRun: deps.onScriptRun,
  });
  return { script: run.script, uploaded: run.published };
}

/** Uploads every planned file; when one fails, removes the ones already written, so it is all or nothing. */
async function publish(deps: ProcessDeps, plan: PlannedUpload[], subject: string): Promise<void> {
  const done: Array<PlannedUpload & { store: OutputStore }> = [];
  try {
    for (const upload of plan) {
      const store = deps.storageFor ? await deps.storageFor(upload.storage) : deps.storage;
      await uploadFile(store, upload.bucket, upload.key, upload.file);
      done.push({ ...upload, store });
      deps.log(`uploaded ${uploadLocation(upload.storage, upload.bucket, upload.key)}`);
    }
  } catch (error) {
    await Promise.allSettled(done.map((u) => u.store.delete(u.bucket, u.key)));
    throw new ContinuumError(
      'CONTINUUM_STORAGE',
      `${subject}: publishing the outputs failed, none were kept: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
