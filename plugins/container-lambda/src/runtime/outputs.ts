// Which files the script wrote, and where each goes: `<output prefix>/<relative path>` for every output binding
// whose filters it passes (SCAR's faas-supervisor keeps subfolders and filters on the relative path, too).
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageBindingRuntime } from './contract';
import { passesFilters } from './events';

export interface PlannedUpload {
  bucket: string;
  key: string;
  /** Path relative to TMP_OUTPUT_DIR, `/`-separated. */
  relativePath: string;
  file: string;
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
  outputs: readonly StorageBindingRuntime[],
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
      });
    }
  }
  return planned;
}
