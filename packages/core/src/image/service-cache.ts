// A service's image blob cache under `.serverless/`, shared by every plugin that assembles images there, and kept
// aside while the framework empties that folder at each package (so bases and runtimes are not fetched again).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Blobs by digest, under the folder the framework empties at every package (kept aside meanwhile). */
export const IMAGE_CACHE_DIR = join('.serverless', 'continuum-images');
const ASIDE = '.serverless-continuum-images.aside';

/** Moves the cache out of `.serverless` before the framework removes that folder. */
export function keepCacheAside(serviceDir: string): void {
  const cache = join(serviceDir, IMAGE_CACHE_DIR);
  const aside = join(serviceDir, ASIDE);
  if (existsSync(cache)) {
    rmSync(aside, { recursive: true, force: true });
    renameSync(cache, aside);
  }
}

/** Puts the cache back once the framework has cleaned up (also after an interrupted run left it aside). */
export function restoreCache(serviceDir: string): void {
  const cache = join(serviceDir, IMAGE_CACHE_DIR);
  const aside = join(serviceDir, ASIDE);
  if (existsSync(aside) && !existsSync(cache)) {
    mkdirSync(join(serviceDir, '.serverless'), { recursive: true });
    renameSync(aside, cache);
  }
  rmSync(aside, { recursive: true, force: true });
}
