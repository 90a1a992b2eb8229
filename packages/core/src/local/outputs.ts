// Which files the script wrote, and where each goes: `<output prefix>/<relative path>` for every output binding
// whose filters it passes (SCAR's faas-supervisor keeps subfolders and filters on the relative path, too).
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ContinuumError } from '../errors';
import { safeJoin } from '../storage/keys';

/** Where a script's output files go: a bucket, a key prefix (no slash at either end) and the binding's filters. */
export interface OutputRule {
  bucket: string;
  prefix: string;
  /** Relative paths must end with one of these (any, when empty). */
  suffix: readonly string[];
  /** Relative paths must start with one of these (any, when empty). */
  prefixFilter?: readonly string[];
  /** The binding's storage provider id (`s3`, `minio.<id>`): which store the files go to. */
  storage?: string;
}

/** Whether a path relative to a binding's prefix passes its suffix and prefix filters (empty lists pass all). */
export function passesFilters(binding: OutputRule, relativePath: string): boolean {
  const suffixOk = binding.suffix.length === 0 || binding.suffix.some((s) => relativePath.endsWith(s));
  const prefixes = binding.prefixFilter ?? [];
  const prefixOk = prefixes.length === 0 || prefixes.some((p) => relativePath.startsWith(p));
  return suffixOk && prefixOk;
}

export interface PlannedUpload {
  bucket: string;
  key: string;
  /** Path relative to TMP_OUTPUT_DIR, `/`-separated. */
  relativePath: string;
  file: string;
  /** The binding's storage provider id, when it said one. */
  storage?: string;
}

/**
 * Regular files under `dir`, recursively, as `/`-separated relative paths in sorted order. Symbolic links are
 * skipped: a script must not be able to publish a file from outside its output folder.
 */
export async function listOutputFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(relative: string): Promise<void> {
    const entries = await readdir(join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      const info = await lstat(join(dir, rel));
      if (info.isDirectory()) await walk(rel);
      else if (info.isFile()) found.push(rel);
    }
  }
  await walk('');
  return found.sort();
}

export function planUploads(
  outputs: readonly OutputRule[],
  outputDir: string,
  relativePaths: readonly string[],
): PlannedUpload[] {
  const planned: PlannedUpload[] = [];
  for (const binding of outputs) {
    for (const relativePath of relativePaths) {
      if (!passesFilters(binding, relativePath)) continue;
      planned.push({
        bucket: binding.bucket,
        key: binding.prefix ? `${binding.prefix}/${relativePath}` : relativePath,
        relativePath,
        file: join(outputDir, ...relativePath.split('/')),
        ...(binding.storage ? { storage: binding.storage } : {}),
      });
    }
  }
  return planned;
}

/**
 * Refuses any planned file that is not a regular file with exactly one name. A hard link in TMP_OUTPUT_DIR is
 * the same inode as a file elsewhere (another invocation's, the image's), so its path says nothing about where
 * the content came from. Checked once no process of the script is left, so nothing can relink it afterwards.
 */
export async function assertCreatedInside(plan: readonly PlannedUpload[]): Promise<void> {
  const checked = new Set<string>();
  for (const upload of plan) {
    if (checked.has(upload.file)) continue;
    checked.add(upload.file);
    const info = await lstat(upload.file);
    const where = `TMP_OUTPUT_DIR/${upload.relativePath}`;
    if (!info.isFile()) {
      throw new ContinuumError('CONTINUUM_UNSAFE_OUTPUT', `${where} is no longer a regular file`);
    }
    if (info.nlink > 1) {
      throw new ContinuumError(
        'CONTINUUM_UNSAFE_OUTPUT',
        `${where} has ${info.nlink} hard links: only files created in TMP_OUTPUT_DIR are uploaded ` +
          '(a hard link may be a file from elsewhere); copy it instead',
      );
    }
  }
}

/**
 * Writes each planned file once to `outDir/<relative path>` through `write` (a copy, a download); each appears
 * whole: written aside, then renamed. Returns the relative paths written, sorted.
 */
export async function mirrorOutputs(
  plan: readonly PlannedUpload[],
  outDir: string,
  write: (upload: PlannedUpload, path: string) => Promise<void>,
): Promise<string[]> {
  const written = new Set<string>();
  for (const upload of plan) {
    if (written.has(upload.relativePath)) continue;
    const target = safeJoin(outDir, upload.relativePath);
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.${randomBytes(4).toString('hex')}.partial`;
    try {
      await write(upload, partial);
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    written.add(upload.relativePath);
  }
  return [...written].sort();
}
