// Misspelt plugin blocks: the framework accepts any key under `custom`, so `custom.mapReduce` would be
// ignored without a word. Each plugin asks about its own block.
import type { ServerlessLike } from './types';

/** Levenshtein distance of two short strings (config keys). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The keys of `custom` that look like `block` but are not it: equal but for case, or at most two edits
 * away (one for names shorter than eight characters, so short unrelated keys are not caught).
 */
export function nearMissKeys(keys: readonly string[], block: string): string[] {
  const wanted = block.toLowerCase();
  const allowed = block.length < 8 ? 1 : 2;
  return keys.filter((key) => {
    if (key === block) return false;
    const candidate = key.toLowerCase();
    return candidate === wanted || editDistance(candidate, wanted) <= allowed;
  });
}

/**
 * Warns once per near miss of `custom.<block>` when the block itself is absent or present (a near miss
 * beside the real block is as likely a leftover the plugin ignores).
 */
export function warnMisspeltCustomBlock(
  serverless: ServerlessLike,
  block: string,
  plugin: string,
  warn: (message: string) => void,
): void {
  const custom = serverless.service.custom;
  if (!custom || typeof custom !== 'object') return;
  for (const key of nearMissKeys(Object.keys(custom), block)) {
    warn(
      `custom.${key} is not read by the ${plugin} plugin, which reads custom.${block}: did you mean custom.${block}?`,
    );
  }
}
