// The S3 side of the cloud commands: one Storage for the function's buckets, and SCAR-like put / get / ls
// (`sls container put|get|ls`).
import { basename, join, relative, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ContinuumError } from '@serverless-continuum/core/errors';
import { awsClientConfig, sdkClientSettings } from '@serverless-continuum/core/serverless';
import {
  createS3Storage,
  downloadToFile,
  safeJoin,
  uploadFile,
  type ObjectInfo,
  type Storage,
} from '@serverless-continuum/core/storage';
import type { ResolvedBinding } from '@serverless-continuum/core/functions';
import { inS3, type ResolvedContainerFunction } from '../config';
import { ENV } from '../runtime/contract';
import { commandFunction, outputDir, type CommandContext } from './command-context';

/** Real S3 by default; any S3-compatible endpoint (MinIO, a local test server) through CONTINUUM_S3_ENDPOINT. */
export function commandStorage(clientConfig: { region: string; credentials?: unknown }): Storage {
  const endpoint = process.env[ENV.s3Endpoint];
  return createS3Storage({
    ...sdkClientSettings(clientConfig),
    ...(endpoint ? { endpoint } : {}),
  });
}

/** S3 with the framework's credentials and region (`--region` wins). */
export async function cloudStorage(ctx: CommandContext): Promise<Storage> {
  return commandStorage(await awsClientConfig(ctx.serverless, ctx.options));
}

export function firstInput(fn: ResolvedContainerFunction): ResolvedBinding {
  const input = fn.inputs[0];
  if (!input) {
    throw new ContinuumError(
      'CONTINUUM_INVALID_CONFIG',
      `functions.${fn.name}.input: the function has no input to upload to`,
    );
  }
  return input;
}

export function objectKey(binding: ResolvedBinding, name: string): string {
  return binding.prefix ? `${binding.prefix}/${name}` : name;
}

/** Uploads a file to the function's first input; returns the key. */
export async function putFile(
  storage: Storage,
  fn: ResolvedContainerFunction,
  file: string,
  name?: string,
): Promise<{ bucket: string; key: string }> {
  const input = firstInput(fn);
  const key = objectKey(input, name ?? basename(file));
  await uploadFile(storage, input.bucket, key, resolve(file));
  return { bucket: input.bucket, key };
}

export interface ListedObject extends ObjectInfo {
  bucket: string;
  /** Path relative to the binding's prefix. */
  relativePath: string;
}

export async function listBinding(storage: Storage, binding: ResolvedBinding): Promise<ListedObject[]> {
  const prefix = binding.prefix ? `${binding.prefix}/` : '';
  const out: ListedObject[] = [];
  for await (const info of storage.list(binding.bucket, prefix)) {
    out.push({ ...info, bucket: binding.bucket, relativePath: info.key.slice(prefix.length) });
  }
  return out;
}

/** Downloads objects under `outDir/<relative path>`; keys can never escape `outDir`. */
export async function downloadObjects(
  storage: Storage,
  objects: ListedObject[],
  outDir: string,
): Promise<string[]> {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const object of objects) {
    const target = safeJoin(dir, object.relativePath);
    await downloadToFile(storage, object.bucket, object.key, target);
    written.push(relative(dir, target));
  }
  return written;
}

/** `sls container ls`: the input and output objects, one line each. */
export async function listLines(storage: Storage, fn: ResolvedContainerFunction): Promise<string[]> {
  const lines: string[] = [];
  for (const [role, bindings] of [
    ['input', fn.inputs],
    ['output', fn.outputs],
  ] as const) {
    for (const binding of bindings) {
      if (!inS3(binding)) {
        lines.push(
          `${role} ${binding.storage}:${binding.bucket}/${binding.prefix} (not S3: not listed here)`,
        );
        continue;
      }
      const objects = await listBinding(storage, binding);
      lines.push(
        `${role} s3://${binding.bucket}/${binding.prefix ? `${binding.prefix}/` : ''} (${objects.length} objects)`,
      );
      for (const o of objects)
        lines.push(`  ${o.relativePath}\t${o.size}\t${o.lastModified?.toISOString() ?? ''}`);
    }
  }
  return lines;
}

/** `sls container get`: every output object (or the objects under `key`) into outDir. */
export async function getOutputs(
  storage: Storage,
  fn: ResolvedContainerFunction,
  outDir: string,
): Promise<string[]> {
  const written: string[] = [];
  const s3Outputs = fn.outputs.filter(inS3);
  for (const binding of s3Outputs) {
    const objects = await listBinding(storage, binding);
    const target = s3Outputs.length > 1 ? join(outDir, binding.bucket, binding.prefix) : outDir;
    written.push(...(await downloadObjects(storage, objects, target)));
  }
  return written;
}

export async function putCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  const storage = await cloudStorage(ctx);
  const name = typeof ctx.options.name === 'string' ? ctx.options.name : undefined;
  const { bucket, key } = await putFile(storage, fn, String(ctx.options.file), name);
  ctx.utils.log.success(`Uploaded s3://${bucket}/${key}`);
}

export async function getCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  const storage = await cloudStorage(ctx);
  const dir = outputDir(ctx, fn);
  const files = await getOutputs(storage, fn, dir);
  ctx.utils.log.success(`${files.length} file(s) in ${dir}`);
  for (const f of files) ctx.utils.writeText(`  ${f}`);
}

export async function lsCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  ctx.utils.writeText(await listLines(await cloudStorage(ctx), fn));
}
