// Outputs to a MinIO (S3-compatible) server an output names as `minio.<id>`: the supervisor as a Batch job, with
// s3rver as S3 and a second s3rver as the MinIO server, the credentials given as the function's secrets.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import type { StorageBindingRuntime } from '../../src/runtime/contract';
import { s3Event, TestBucket } from './helpers/s3';
import { AWS_TEST_ENV, startSupervisor, writeScript, type SupervisorProcess } from './helpers/supervisor';

let s3: LocalService;
let minio: LocalService;
let input: TestBucket;
let results: TestBucket;
let supervisor: SupervisorProcess | undefined;
let scratch: string | undefined;

before(async () => {
  s3 = await startS3rver({ buckets: ['data'] });
  minio = await startS3rver({ buckets: ['lab-results'] });
  input = new TestBucket(s3.endpoint, 'data');
  results = new TestBucket(minio.endpoint, 'lab-results');
});
after(async () => {
  input.destroy();
  results.destroy();
  await Promise.all([s3.close(), minio.close()]);
});
afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// S3 first: when the MinIO upload fails, the S3 one already written must be taken back.
const OUTPUTS: StorageBindingRuntime[] = [
  { storage: 's3', bucket: 'data', prefix: 'out', suffix: [] },
  { storage: 'minio.lab', bucket: 'lab-results', prefix: 'gray', suffix: [] },
];

function runJob(key: string, credentials: { access: string; secret: string }) {
  scratch = mkdtempSync(join(tmpdir(), 'continuum-minio-test-'));
  const tmp = join(scratch, 'tmp');
  mkdirSync(tmp);
  supervisor = startSupervisor({
    ...AWS_TEST_ENV,
    TMPDIR: tmp,
    CONTINUUM_MODE: 'batch',
    CONTINUUM_EVENT: JSON.stringify(s3Event('data', key)),
    CONTINUUM_FUNCTION: 'grayify',
    CONTINUUM_SCRIPT: writeScript(
      'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH" .jpg).png"\n',
    ),
    CONTINUUM_INPUTS: JSON.stringify([{ storage: 's3', bucket: 'data', prefix: 'in', suffix: [] }]),
    CONTINUUM_OUTPUTS: JSON.stringify(OUTPUTS),
    CONTINUUM_S3_ENDPOINT: s3.endpoint,
    CONTINUUM_STORAGE_PROVIDERS: JSON.stringify({ minio: { lab: { endpoint: minio.endpoint } } }),
    // As the job definition's Secrets set them: names in CONTINUUM_SECRETS, values in the environment.
    CONTINUUM_SECRETS: JSON.stringify({
      ssm: { MINIO_LAB_ACCESS_KEY: '/lab/minio/access', MINIO_LAB_SECRET_KEY: '/lab/minio/secret' },
    }),
    MINIO_LAB_ACCESS_KEY: credentials.access,
    MINIO_LAB_SECRET_KEY: credentials.secret,
  });
  return supervisor;
}

describe('supervisor: outputs to a MinIO server (minio.<id>)', () => {
  test('go to that server with the credentials of its secrets; the S3 outputs still go to S3', async () => {
    await input.put('in/leaf.jpg', 'LEAF');
    const job = runJob('in/leaf.jpg', { access: 'S3RVER', secret: 'S3RVER' });
    assert.equal(await job.exited, 0, job.output());
    assert.equal((await results.get('gray/leaf.png')).toString(), 'LEAF');
    assert.equal((await input.get('out/leaf.png')).toString(), 'LEAF');
    assert.match(job.output(), /uploaded minio\.lab:lab-results\/gray\/leaf\.png/);
    assert.doesNotMatch(job.output(), /S3RVER/);
  });

  test('with credentials the server refuses, nothing is kept anywhere and the error names the store', async () => {
    await input.put('in/bad.jpg', 'BAD');
    const job = runJob('in/bad.jpg', { access: 'WRONGKEY', secret: 'wrong-secret-value' });
    assert.equal(await job.exited, 1, job.output());
    assert.match(job.output(), /publishing the outputs failed, none were kept/);
    assert.match(job.output(), /uploaded s3:\/\/data\/out\/bad\.png/);
    // The S3 output of this run was written, then removed with the rest.
    assert.deepEqual(await input.keys('out/bad'), []);
    assert.deepEqual(await results.keys('gray/bad'), []);
    assert.doesNotMatch(job.output(), /wrong-secret-value/);
  });
});
