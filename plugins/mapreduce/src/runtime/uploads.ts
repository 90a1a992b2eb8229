// Reading the uploads that start runs: which S3 records of the job's input start a run, under which run id,
// pinned to which object version.
import { uploadOf } from '@serverless-continuum/core/lambda';
import type { MapTaskEvent } from './contract';
import type { Runtime } from './handler-runtime';
import { makeRunId } from './report';

function isUnder(bucket: string, key: string, location: { bucket: string; prefix: string }): boolean {
  return bucket === location.bucket && key.startsWith(location.prefix);
}

/** The run an S3 record of the input starts: its id and pinned input, or why the record starts none. */
export async function runOfUpload(
  rt: Runtime,
  record: unknown,
): Promise<{ runId: string; input: MapTaskEvent['input'] } | { bucket: string; key: string; skip: string }> {
  const { job } = rt;
  const upload = uploadOf(record);
  if ('skip' in upload) return upload;
  const { bucket, key } = upload;
  if (!isUnder(bucket, key, job.input)) return { bucket, key, skip: 'not under the job input' };
  if (isUnder(bucket, key, job.output) || isUnder(bucket, key, job.temp)) {
    return { bucket, key, skip: 'under the job output' };
  }
  if (key.endsWith('/')) return { bucket, key, skip: 'a folder marker' };
  let size = upload.size;
  if (size === undefined) {
    const head = await rt.storage.head(bucket, key);
    if (!head) return { bucket, key, skip: 'the object no longer exists' };
    size = head.size;
  }
  const version = {
    ...(upload.versionId ? { versionId: upload.versionId } : {}),
    ...(upload.etag ? { etag: upload.etag } : {}),
  };
  return {
    runId: makeRunId({
      bucket,
      key,
      ...version,
      ...(upload.sequencer ? { sequencer: upload.sequencer } : {}),
      size,
    }),
    input: { bucket, key, size, ...version },
  };
}
