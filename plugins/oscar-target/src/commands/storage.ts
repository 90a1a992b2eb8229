// `sls oscar put|get|ls -f x`: files in the service's MinIO input and output buckets, through core's S3 adapter
// with the endpoint and credentials the cluster's /system/config gives (never printed).
import { basename, join, resolve } from 'node:path';
import { ContinuumError } from '@serverless-continuum/core/errors';
import type { ResolvedBinding } from '@serverless-continuum/core/functions';
import {
  createS3Storage,
  downloadToFile,
  safeJoin,
  uploadFile,
  type Storage,
} from '@serverless-continuum/core/storage';
import type { ResolvedOscarFunction } from '../config';
import { commandFunction, table, type CommandContext } from './context';

const isClusterMinio = (b: ResolvedBinding): boolean =>
  b.storage === 'minio' || b.storage === 'minio.default';

/** The cluster's MinIO, as the client reads it from /system/config. */
export async function clusterStorage(ctx: CommandContext): Promise<Storage> {
  const minio = await ctx.client().minio();
  return createS3Storage({
    endpoint: minio.endpoint,
    region: minio.region || 'us-east-1',
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
    tlsVerify: minio.verify,
  });
}

function minioInput(fn: ResolvedOscarFunction): ResolvedBinding {
  const input = fn.inputs.find(isClusterMinio);
  if (!input) {
    throw new ContinuumError(
      'CONTINUUM_INVALID_CONFIG',
      `functions.${fn.name}.input: no input on the cluster's MinIO (minio.default) to upload to`,
    );
  }
  return input;
}

const keyOf = (b: ResolvedBinding, name: string): string => (b.prefix ? `${b.prefix}/${name}` : name);

export async function putCommand(ctx: CommandContext, storage?: Storage): Promise<void> {
  const fn = commandFunction(ctx);
  const file = String(ctx.options.file ?? '');
  const input = minioInput(fn);
  const key = keyOf(input, typeof ctx.options.name === 'string' ? ctx.options.name : basename(file));
  await uploadFile(storage ?? (await clusterStorage(ctx)), input.bucket, key, resolve(file));
  ctx.utils.writeText(`Uploaded ${file} to ${input.bucket}/${key}: ${fn.serviceName} runs on it`);
}

async function objects(storage: Storage, binding: ResolvedBinding) {
  const prefix = binding.prefix ? `${binding.prefix}/` : '';
  const out: Array<{ key: string; size: number; relative: string }> = [];
  for await (const info of storage.list(binding.bucket, prefix)) {
    out.push({ key: info.key, size: info.size, relative: info.key.slice(prefix.length) });
  }
  return out;
}

export async function getCommand(ctx: CommandContext, storage?: Storage): Promise<void> {
  const fn = commandFunction(ctx);
  const s = storage ?? (await clusterStorage(ctx));
  const dir = resolve(typeof ctx.options.out === 'string' ? ctx.options.out : `${fn.name}-output`);
  const written: string[] = [];
  for (const output of fn.outputs.filter(isClusterMinio)) {
    for (const object of await objects(s, output)) {
      const target = safeJoin(dir, object.relative);
      await downloadToFile(s, output.bucket, object.key, target);
      written.push(target);
    }
  }
  ctx.utils.writeText(
    written.length
      ? [`${written.length} file(s) in ${dir}:`, ...written.map((w) => `  ${w}`)]
      : 'No outputs yet.',
  );
}

export async function lsCommand(ctx: CommandContext, storage?: Storage): Promise<void> {
  const fn = commandFunction(ctx);
  const s = storage ?? (await clusterStorage(ctx));
  const rows = [['binding', 'object', 'bytes']];
  const bindings = [
    ...fn.inputs.filter(isClusterMinio).map((b, i) => [`input[${i}]`, b] as const),
    ...fn.outputs.filter(isClusterMinio).map((b, i) => [`output[${i}]`, b] as const),
  ];
  for (const [label, binding] of bindings) {
    for (const object of await objects(s, binding))
      rows.push([label, join(binding.bucket, object.key), String(object.size)]);
  }
  ctx.utils.writeText(rows.length > 1 ? table(rows) : 'No objects.');
}
