// Outputs to WebDAV (`webdav.<id>`) and Onedata (`onedata.<id>`) at the wire: the supervisor as a Batch job, with
// s3rver as S3 and one loopback server answering as a WebDAV server and as a Oneprovider's CDMI interface.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import type { StorageBindingRuntime } from '../../src/runtime/contract';
import { s3Event, TestBucket } from './helpers/s3';
import { AWS_TEST_ENV, startSupervisor, writeScript, type SupervisorProcess } from './helpers/supervisor';

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  token?: string;
  body: string;
}

let s3: LocalService;
let input: TestBucket;
let server: Server;
let base: string;
const seen: Seen[] = [];
/** Paths that exist on the server (folders end with /). */
const existing = new Set<string>();
let refusePut = false;
let supervisor: SupervisorProcess | undefined;
let scratch: string | undefined;

before(async () => {
  s3 = await startS3rver({ buckets: ['data'] });
  input = new TestBucket(s3.endpoint, 'data');
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const path = request.url ?? '';
      seen.push({
        method: request.method ?? '',
        path,
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        ...(request.headers['x-auth-token'] ? { token: String(request.headers['x-auth-token']) } : {}),
        body: Buffer.concat(chunks).toString(),
      });
      const answer = (status: number) => response.writeHead(status).end();
      if (request.method === 'MKCOL') return answer(existing.has(path) ? 405 : (existing.add(path), 201));
      if (request.method === 'GET') return answer(existing.has(path) ? 200 : 404);
      if (request.method === 'PUT') {
        if (refusePut && path.startsWith('/cdmi/') && !path.endsWith('/')) return answer(507);
        existing.add(path);
        return answer(201);
      }
      if (request.method === 'DELETE') return answer(existing.delete(path) ? 204 : 404);
      answer(405);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
after(async () => {
  input.destroy();
  await Promise.all([s3.close(), new Promise((resolve) => server.close(resolve))]);
});
afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  seen.length = 0;
  refusePut = false;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const OUTPUTS: StorageBindingRuntime[] = [
  { storage: 's3', bucket: 'data', prefix: 'out', suffix: [] },
  { storage: 'webdav.dcache', bucket: 'results', prefix: 'gray', suffix: [] },
  { storage: 'onedata.lab', bucket: 'results', prefix: 'gray', suffix: [] },
];

function runJob(key: string) {
  scratch = mkdtempSync(join(tmpdir(), 'continuum-http-outputs-'));
  const tmp = join(scratch, 'tmp');
  mkdirSync(tmp);
  supervisor = startSupervisor({
    ...AWS_TEST_ENV,
    TMPDIR: tmp,
    CONTINUUM_MODE: 'batch',
    CONTINUUM_EVENT: JSON.stringify(s3Event('data', key)),
    CONTINUUM_FUNCTION: 'grayify',
    CONTINUUM_SCRIPT: writeScript(
      'mkdir -p "$TMP_OUTPUT_DIR/sub"\ncp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/sub/$(basename "$INPUT_FILE_PATH" .jpg).png"\n',
    ),
    CONTINUUM_INPUTS: JSON.stringify([{ storage: 's3', bucket: 'data', prefix: 'in', suffix: [] }]),
    CONTINUUM_OUTPUTS: JSON.stringify(OUTPUTS),
    CONTINUUM_S3_ENDPOINT: s3.endpoint,
    CONTINUUM_STORAGE_PROVIDERS: JSON.stringify({
      webdav: { dcache: { url: base, login: 'lab' } },
      onedata: { lab: { url: base, space: 'plants space' } },
    }),
    CONTINUUM_SECRETS: JSON.stringify({
      ssm: { WEBDAV_DCACHE_PASSWORD: '/lab/webdav', ONEDATA_LAB_TOKEN: '/lab/onedata' },
    }),
    WEBDAV_DCACHE_PASSWORD: 'dav-secret',
    ONEDATA_LAB_TOKEN: 'onedata-token',
  });
  return supervisor;
}

describe('supervisor: outputs to WebDAV and Onedata', () => {
  test('WebDAV: each missing folder made with MKCOL, the file PUT, Basic auth with the secret password', async () => {
    await input.put('in/leaf.jpg', 'LEAF');
    const job = runJob('in/leaf.jpg');
    assert.equal(await job.exited, 0, job.output());
    const dav = seen.filter((r) => r.authorization);
    assert.deepEqual(
      dav.map((r) => `${r.method} ${r.path}`),
      [
        'MKCOL /results/',
        'MKCOL /results/gray/',
        'MKCOL /results/gray/sub/',
        'PUT /results/gray/sub/leaf.png',
      ],
    );
    assert.ok(
      dav.every((r) => r.authorization === `Basic ${Buffer.from('lab:dav-secret').toString('base64')}`),
    );
    assert.equal(dav.at(-1)!.body, 'LEAF');
    assert.doesNotMatch(job.output(), /dav-secret|onedata-token/);
  });

  test('Onedata: folders made through CDMI under the space, the file PUT, the token in X-Auth-Token', async () => {
    await input.put('in/stem.jpg', 'STEM');
    const job = runJob('in/stem.jpg');
    assert.equal(await job.exited, 0, job.output());
    const cdmi = seen.filter((r) => r.token);
    assert.ok(cdmi.every((r) => r.token === 'onedata-token'));
    const put = cdmi.filter((r) => r.method === 'PUT');
    assert.equal(put.at(-1)!.path, '/cdmi/plants%20space/results/gray/sub/stem.png');
    assert.equal(put.at(-1)!.body, 'STEM');
    assert.ok(existing.has('/cdmi/plants%20space/results/gray/sub/'));
    assert.match(job.output(), /uploaded onedata\.lab:results\/gray\/sub\/stem\.png/);
  });

  test('when Onedata refuses the file, the ones already written to S3 and WebDAV are deleted again', async () => {
    await input.put('in/root.jpg', 'ROOT');
    refusePut = true;
    const job = runJob('in/root.jpg');
    assert.equal(await job.exited, 1, job.output());
    assert.match(job.output(), /publishing the outputs failed, none were kept/);
    assert.deepEqual(await input.keys('out/sub/root'), []);
    // Onedata refused the file (507) after S3 and WebDAV had it: both were taken back.
    assert.ok(seen.some((r) => r.method === 'PUT' && r.path === '/results/gray/sub/root.png'));
    assert.ok(seen.some((r) => r.method === 'DELETE' && r.path === '/results/gray/sub/root.png'));
    assert.ok(!existing.has('/results/gray/sub/root.png'));
    assert.ok(!existing.has('/cdmi/plants%20space/results/gray/sub/root.png'));
  });
});
