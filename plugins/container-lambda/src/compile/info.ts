// The lines `sls info` / `sls deploy` print for container functions: where each one reads, writes and runs.
import type { ResolvedBinding } from '@serverless-continuum/core/functions';
import { inS3, type ResolvedContainerFunction } from '../config';

function where(binding: ResolvedBinding): string {
  const folder = `${binding.bucket}/${binding.prefix ? `${binding.prefix}/` : ''}`;
  // Another store than S3 is named as the binding names it: `minio.lab:results/gray/`.
  const path = inS3(binding) ? `s3://${folder}` : `${binding.storage}:${folder}`;
  return binding.suffix.length ? `${path}*{${binding.suffix.join(',')}}` : path;
}

export function infoLines(functions: ResolvedContainerFunction[]): string[] {
  return functions.map((fn) => {
    const parts = [`${fn.name}: ${fn.execution}`];
    if (fn.batch?.gpu) parts.push(`${fn.batch.gpu} GPU`);
    if (fn.inputs.length) parts.push(`in ${fn.inputs.map(where).join(' ')}`);
    if (fn.outputs.length) parts.push(`out ${fn.outputs.map(where).join(' ')}`);
    if (fn.api) parts.push('HTTP');
    // Names and references only: the values are never known at deploy time.
    const secrets = Object.entries(fn.secrets ?? {}).map(
      ([name, ref]) => `${name} (${ref.service === 'ssm' ? 'SSM' : 'Secrets Manager'} ${ref.reference})`,
    );
    if (secrets.length) parts.push(`secrets ${secrets.join(', ')}`);
    return parts.join(', ');
  });
}
