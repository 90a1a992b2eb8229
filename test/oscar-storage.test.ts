// `sls oscar put|ls|get` through the real CLI: the service's MinIO buckets over the S3 API (s3rver stands in for
// the cluster's MinIO), with the endpoint and credentials read from the contract server's /system/config and
// never printed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { REPO_ROOT, runSls } from './harness/sls';
import { s3ClientConfig, S3RVER_CREDENTIALS, startS3rver, type LocalService } from './harness/services';
import { startOscarContract, type OscarContract } from './harness/oscar/contract';

const FIXTURE = join(__dirname, 'fixtures', 'oscar-service');
const work = join(REPO_ROOT, '.tmp', 'fixtures', `oscar-storage-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });

let minio: LocalService;
let contract: OscarContract;
before(async () => {
  minio = await startS3rver({ buckets: ['plants'] });
  contract = await startOscarContract({
    minio: {
      endpoint: minio.endpoint,
      region: 'us-east-1',
      access_key: S3RVER_CREDENTIALS.accessKeyId,
      secret_key: S3RVER_CREDENTIALS.secretAccessKey,
      verify: false,
    },
  });
});
after(async () => {
  await contract.close();
  await minio.close();
  rmSync(work, { recursive: true, force: true });
});

test('put uploads under the input path, ls lists both buckets, get downloads the outputs', async () => {
  const dir = join(work, 'service');
  cpSync(FIXTURE, dir, { recursive: true });
  writeFileSync(join(dir, 'leaf.jpg'), 'a leaf');
  const env = {
    OSCAR_ENDPOINT: contract.endpoint,
    OSCAR_USERNAME: contract.fake.username,
    OSCAR_PASSWORD: contract.fake.password,
  };
  const sls = async (args: string[]) => {
    const run = await runSls('osls', args, { cwd: dir, env });
    const output = run.stdout + run.stderr;
    assert.equal(run.code, 0, `sls ${args.join(' ')}:\n${output}`);
    assert.doesNotMatch(
      output,
      new RegExp(`${contract.fake.password}|${S3RVER_CREDENTIALS.secretAccessKey}`),
    );
    return output;
  };

  assert.match(
    await sls(['oscar', 'put', '-f', 'plants', '--file', 'leaf.jpg']),
    /Uploaded leaf\.jpg to plants\/in\/leaf\.jpg/,
  );
  // What the service would write (OSCAR runs it on the cluster).
  const s3 = new S3Client(s3ClientConfig(minio.endpoint));
  await s3.send(new PutObjectCommand({ Bucket: 'plants', Key: 'out/leaf.jpg.txt', Body: 'classified' }));
  s3.destroy();
  const listed = await sls(['oscar', 'ls', '-f', 'plants']);
  assert.match(listed, /in\/leaf\.jpg/);
  assert.match(listed, /out\/leaf\.jpg\.txt/);
  await sls(['oscar', 'get', '-f', 'plants', '--out', 'results']);
  assert.equal(readFileSync(join(dir, 'results', 'leaf.jpg.txt'), 'utf8'), 'classified');
  assert.deepEqual(contract.violations(), []);
});
