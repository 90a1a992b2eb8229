// One script run in a fresh folder under a temp root, shared by container-lambda's supervisor and oscar-target's
// local runner: the input placed, the variables set, the script run, its outputs handed over only after a success.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ContinuumError } from '../errors';
import { safeJoin } from '../storage/keys';
import {
  assertCreatedInside,
  listOutputFiles,
  planUploads,
  type OutputRule,
  type PlannedUpload,
} from './outputs';
import type { ScriptSweep } from './processes';
import { runScript, type ScriptResult } from './script';

/** The run's folders, for the variables that name them (TMP_INPUT_DIR, TMP_OUTPUT_DIR, INPUT_FILE_PATH). */
export interface ScriptFolders {
  inputDir: string;
  outputDir: string;
  /** Where the input was placed, when there is one. */
  inputPath?: string;
}

export interface FolderRun {
  /** The script, run as `/bin/sh <script>`. */
  script: string;
  cwd: string;
  /** Where the run's folder is made (and removed afterwards, whatever happens). */
  tmpRoot: string;
  /** The file the script processes: its name in the input folder, and how it gets there (download, copy, write). */
  input?: { name: string; place: (path: string) => Promise<void> };
  /** The script's whole environment, asked for once the input is in place (so secrets are read only then). */
  environment: (folders: ScriptFolders) => Promise<Record<string, string>>;
  /** Where output files go; a file no rule accepts is left out. */
  outputs: readonly OutputRule[];
  /** Hands the planned files over (uploads, copies) while they still exist; never called after a failed run. */
  publish: (plan: PlannedUpload[]) => Promise<void>;
  /** Names the work in errors: `s3://bucket/key`, `the HTTP call`, a file. */
  subject: string;
  /** Epoch ms at which the script is killed; undefined: no deadline. */
  deadlineAt?: number;
  now: () => number;
  log: (line: string) => void;
  maxStdoutBytes?: number;
  sweep?: ScriptSweep;
  /** Sees the script's result before anything is published. */
  onScriptRun?: (result: ScriptResult) => void;
}

export interface FolderRunResult {
  script: ScriptResult;
  /** What was handed to `publish` (empty when the script failed or timed out). */
  published: PlannedUpload[];
}

export async function runScriptInFolder(run: FolderRun): Promise<FolderRunResult> {
  const root = await mkdtemp(join(run.tmpRoot, 'continuum-'));
  try {
    const inputDir = join(root, 'input');
    const outputDir = join(root, 'output');
    await mkdir(inputDir);
    await mkdir(outputDir);
    let inputPath: string | undefined;
    if (run.input) {
      // The name becomes a path only after this check: it can never leave inputDir.
      inputPath = safeJoin(inputDir, run.input.name);
      await run.input.place(inputPath);
    }
    const env = await run.environment(
      inputPath ? { inputDir, outputDir, inputPath } : { inputDir, outputDir },
    );
    const script = await runScript({
      script: run.script,
      env,
      cwd: run.cwd,
      deadlineAt: run.deadlineAt,
      now: run.now,
      log: run.log,
      maxStdoutBytes: run.maxStdoutBytes,
      sweep: run.sweep,
    });
    run.onScriptRun?.(script);
    if (script.timedOut || script.exitCode !== 0) return { script, published: [] };
    const plan = planUploads(run.outputs, outputDir, await listOutputFiles(outputDir));
    try {
      await assertCreatedInside(plan);
    } catch (error) {
      const message = `${run.subject}: ${(error as Error).message}; nothing was published`;
      throw new ContinuumError('CONTINUUM_UNSAFE_OUTPUT', message, { cause: error });
    }
    await run.publish(plan);
    return { script, published: plan };
  } finally {
    // Lambda reuses /tmp between invocations, and this machine is someone's: leave nothing behind.
    await rm(root, { recursive: true, force: true });
  }
}
