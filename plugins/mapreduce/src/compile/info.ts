// The lines `sls info` / `sls deploy` print for MapReduce jobs: what starts a run and where results land.
import { formatBytes } from '@serverless-continuum/core/serverless';
import type { ResolvedJob } from '../config';

export function infoLines(jobs: ResolvedJob[]): string[] {
  return jobs.map(({ name, runtime }) => {
    const split = runtime.mappers
      ? `${runtime.mappers} mappers`
      : `${formatBytes(runtime.chunkSize ?? 0)} splits`;
    return (
      `${name}: upload to s3://${runtime.input.bucket}/${runtime.input.prefix} -> ` +
      `s3://${runtime.output.bucket}/${runtime.output.prefix}<run id>/ (${split}, ${runtime.reducers} reducers)`
    );
  });
}
