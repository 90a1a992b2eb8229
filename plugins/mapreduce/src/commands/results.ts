// Finding runs in a job's output: each run writes `<output>/<run id>/_SUCCESS.json` or `_FAILED.json` last.
import type { Storage } from '@serverless-continuum/core/storage';
import type { StorageLocation } from '../config';

export const SUCCESS = '_SUCCESS.json';
export const FAILED = '_FAILED.json';

export interface RunMarker {
  runId: string;
  status: 'succeeded' | 'failed';
  key: string;
  lastModified?: Date;
}

/** Markers directly under `<output prefix><run id>/`; deeper objects (and `_temporary/`) are not runs. */
export async function listRuns(storage: Storage, output: StorageLocation): Promise<RunMarker[]> {
  const runs: RunMarker[] = [];
  for await (const object of storage.list(output.bucket, output.prefix)) {
    const rest = object.key.slice(output.prefix.length).split('/');
    if (rest.length !== 2 || !rest[0]) continue;
    const [runId, file] = rest as [string, string];
    if (file !== SUCCESS && file !== FAILED) continue;
    runs.push({
      runId,
      status: file === SUCCESS ? 'succeeded' : 'failed',
      key: object.key,
      ...(object.lastModified ? { lastModified: object.lastModified } : {}),
    });
  }
  return runs.sort((a, b) => (a.lastModified?.getTime() ?? 0) - (b.lastModified?.getTime() ?? 0));
}

export async function readJson(storage: Storage, bucket: string, key: string): Promise<unknown> {
  return JSON.parse((await storage.getBytes(bucket, key)).toString('utf8'));
}

/** The first `count` lines of a text (a result part), without reading a large part whole. */
export function firstLines(text: string, count: number): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(0, count);
}
