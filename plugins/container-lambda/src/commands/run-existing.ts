// `sls container run -f <fn> --existing [--prefix <p>]` (SCAR's `run -ib`): every object already under the
// function's input, sent to the function as the S3 notification its upload would have sent, a few at a time.
import { ConfigError, ContinuumError } from '@serverless-continuum/core/errors';
import { keyPrefix, notificationRules, type ResolvedBinding } from '@serverless-continuum/core/functions';
import { createLambdaClient, invokeAsync } from '@serverless-continuum/core/lambda';
import { awsClientConfig, sdkClientSettings } from '@serverless-continuum/core/serverless';
import type { ObjectInfo, Storage } from '@serverless-continuum/core/storage';
import type { ResolvedContainerFunction } from '../config';
import { storageEvent } from '../runtime/events';
import { commandFunction, type CommandContext } from './command-context';
import { commandStorage, firstInput } from './storage';

/** Invocations in flight at once: enough to list and send thousands of objects in minutes, without throttling. */
export const EXISTING_CONCURRENCY = 8;

export interface ExistingObject {
  bucket: string;
  key: string;
  size: number;
  lastModified?: Date;
}

/** Whether an upload of `key` would start the function: S3 matches each rule's prefix and suffix, nothing else. */
export function triggerMatches(binding: ResolvedBinding, key: string): boolean {
  if (key.endsWith('/')) return false;
  return notificationRules(binding).some(
    ({ prefix, suffix }) => key.startsWith(prefix) && key.endsWith(suffix),
  );
}

/** The key prefix to list: the binding's, and `--prefix` under it (`P`, `/P` and `P/` alike). */
export function listingPrefix(binding: ResolvedBinding, subPrefix: string | undefined): string {
  const sub = (subPrefix ?? '').replace(/^\/+/, '');
  if (sub.split('/').some((part) => part === '..')) {
    throw new ConfigError(
      '--prefix',
      `"${subPrefix}" climbs out of the input`,
      'give a folder under the input',
    );
  }
  return keyPrefix(binding) + sub;
}

/** The objects under every input (and `--prefix`) an upload would have started the function for, once each. */
export async function existingObjects(
  storage: Storage,
  fn: ResolvedContainerFunction,
  subPrefix: string | undefined,
): Promise<{ objects: ExistingObject[]; skipped: number }> {
  firstInput(fn);
  const seen = new Set<string>();
  const objects: ExistingObject[] = [];
  let skipped = 0;
  for (const binding of fn.inputs) {
    for await (const info of storage.list(binding.bucket, listingPrefix(binding, subPrefix))) {
      const id = `${binding.bucket}/${info.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (!triggerMatches(binding, info.key)) {
        skipped++;
        continue;
      }
      objects.push(existingObject(binding.bucket, info));
    }
  }
  return { objects, skipped };
}

function existingObject(bucket: string, info: ObjectInfo): ExistingObject {
  return {
    bucket,
    key: info.key,
    size: info.size,
    ...(info.lastModified ? { lastModified: info.lastModified } : {}),
  };
}

export interface Failure {
  object: ExistingObject;
  message: string;
}

/** Runs `work` on every item, at most `limit` at once; a rejection is collected, never stops the others. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  onSettled: (item: T, error: unknown) => void,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      let failure: unknown;
      try {
        await work(item);
      } catch (error) {
        failure = error ?? new Error('failed');
      }
      onSettled(item, failure);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** `[=====     ] 12/40`: the progress line's bar. */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  return `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`;
}

/** What the summary says: how many went, how many were skipped, and each failure by its key. */
export function existingSummary(
  fn: string,
  sent: number,
  skipped: number,
  failures: readonly Failure[],
): string[] {
  const lines = [`${fn}: ${sent} object(s) sent to the function, as their uploads would have been`];
  if (skipped) lines.push(`${skipped} object(s) skipped: the input's suffix or prefix filters do not match`);
  if (failures.length) {
    lines.push(`${failures.length} object(s) could not be sent:`);
    for (const f of failures) lines.push(`  s3://${f.object.bucket}/${f.object.key}: ${f.message}`);
  }
  return lines;
}

export async function runExistingCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  const { utils, options } = ctx;
  for (const other of ['file', 'local', 'out', 'wait']) {
    if (options[other] !== undefined) {
      throw new ConfigError(
        `--${other}`,
        'does not go with --existing, which sends the objects already in the input to the deployed function',
      );
    }
  }
  const subPrefix = typeof options.prefix === 'string' ? options.prefix : undefined;
  const config = await awsClientConfig(ctx.serverless, options);
  const { objects, skipped } = await existingObjects(commandStorage(config), fn, subPrefix);
  if (!objects.length) {
    utils.log.notice(
      `${fn.name}: nothing to process under ${fn.inputs.map((b) => `s3://${b.bucket}/${listingPrefix(b, subPrefix)}`).join(', ')}${skipped ? ` (${skipped} object(s) the filters do not match)` : ''}`,
    );
    return;
  }
  const client = createLambdaClient(sdkClientSettings(config));
  const progress = utils.progress.create({
    message: `Sending ${objects.length} object(s) to ${fn.name}`,
    name: 'container-run-existing',
  });
  const failures: Failure[] = [];
  let done = 0;
  try {
    await eachLimited(
      objects,
      EXISTING_CONCURRENCY,
      (object) =>
        invokeAsync(
          client,
          fn.lambdaName,
          storageEvent(
            object.bucket,
            object.key,
            object.size,
            (object.lastModified ?? new Date()).toISOString(),
            config.region,
          ),
        ),
      (object, error) => {
        done++;
        if (error) failures.push({ object, message: (error as Error).message ?? String(error) });
        progress.update(`Sending to ${fn.name} ${progressBar(done, objects.length)}`);
      },
    );
  } finally {
    progress.remove();
    client.destroy();
  }
  const summary = existingSummary(fn.name, objects.length - failures.length, skipped, failures);
  if (failures.length) throw new ContinuumError('CONTINUUM_RUN_FAILED', summary.join('\n'));
  utils.log.success(summary[0]!);
  if (summary[1]) utils.log.notice(summary[1]);
  utils.log.notice(`The results arrive in the outputs: sls container get -f ${fn.name}`);
}
