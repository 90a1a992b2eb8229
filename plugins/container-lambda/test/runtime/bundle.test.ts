// The shipped artifact: dist/runtime/supervisor.js (built by `npm run build`) runs alone, with no node_modules.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import { startRuntimeApi } from './helpers/runtime-api';
import { s3Event, TestBucket } from './helpers/s3';
import { AWS_TEST_ENV, BUNDLE, startSupervisor, writeScript } from './helpers/supervisor';

let s3: LocalService;
let alone: string;
before(async () => {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run \`npm run build\` first`);
  s3 = await startS3rver({ buckets: ['data'] });
  alone = mkdtempSync(join(tmpdir(), 'continuum-bundle-'));
  copyFileSync(BUNDLE, join(alone, 'supervisor.js'));
});
after(async () => {
  await s3.close();
  rmSync(alone, { recursive: true, force: true });
});

test('the bundled supervisor runs a Batch job with only a node binary: downloads, runs the script, uploads', async () => {
  const bucket = new TestBucket(s3.endpoint, 'data');
  try {
    await bucket.put('in/x.jpg', 'BYTES');
    const supervisor = startSupervisor(
      {
        ...AWS_TEST_ENV,
        CONTINUUM_MODE: 'batch',
        CONTINUUM_EVENT: JSON.stringify(s3Event('data', 'in/x.jpg')),
        CONTINUUM_SCRIPT: writeScript('cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/x.png"\n'),
        CONTINUUM_INPUTS: JSON.stringify([{ storage: 's3', bucket: 'data', prefix: 'in', suffix: [] }]),
        CONTINUUM_OUTPUTS: JSON.stringify([
          { storage: 's3', bucket: 'data', prefix: 'out', suffix: ['.png'] },
        ]),
        CONTINUUM_S3_ENDPOINT: s3.endpoint,
      },
      { from: 'bundle', entry: join(alone, 'supervisor.js'), cwd: alone },
    );
    assert.equal(await supervisor.exited, 0, supervisor.output());
    assert.equal((await bucket.get('out/x.png')).toString(), 'BYTES');
  } finally {
    bucket.destroy();
  }
});

test('the bundled supervisor speaks the Runtime API: an HTTP call answered with the stdout of the script', async () => {
  const api = await startRuntimeApi();
  const supervisor = startSupervisor(
    {
      ...AWS_TEST_ENV,
      AWS_LAMBDA_RUNTIME_API: api.address,
      CONTINUUM_SCRIPT: writeScript('wc -c < "$INPUT_FILE_PATH" | tr -d " "\n'),
      CONTINUUM_S3_ENDPOINT: s3.endpoint,
    },
    { from: 'bundle', entry: join(alone, 'supervisor.js'), cwd: alone },
  );
  try {
    const outcome = await api.invoke(
      { httpMethod: 'POST', body: Buffer.alloc(1234).toString('base64'), isBase64Encoded: true },
      { requestId: 'req-bundle' },
    );
    assert.equal(outcome.kind, 'response');
    assert.equal(Buffer.from((outcome.body as { body: string }).body, 'base64').toString(), '1234\n');
    assert.deepEqual(api.violations, []);
  } finally {
    await supervisor.stop();
    await api.close();
  }
});

/** A uid this machine's passwd file does not know: what Lambda runs an image as. */
function uidWithoutPasswdEntry(): number {
  const known = new Set(
    readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => Number(line.split(':')[2])),
  );
  let uid = 4242;
  while (known.has(uid)) uid++;
  return uid;
}

test('the bundled supervisor starts and signs its S3 calls as a uid with no passwd entry and no HOME', async (t) => {
  const uid = uidWithoutPasswdEntry();
  const under = ['unshare', '--user', `--map-user=${uid}`, `--map-group=${uid}`];
  if (spawnSync(under[0]!, [...under.slice(1), 'true']).status !== 0) {
    t.skip('user namespaces are not available here (unshare --user --map-user)');
    return;
  }
  const bucket = new TestBucket(s3.endpoint, 'data');
  try {
    await bucket.put('in/nohome.txt', 'BYTES');
    // The supervisor's environment is only what is given here: no HOME, as on a base that sets none.
    const env = {
      ...AWS_TEST_ENV,
      CONTINUUM_MODE: 'batch',
      CONTINUUM_EVENT: JSON.stringify(s3Event('data', 'in/nohome.txt')),
      CONTINUUM_SCRIPT: writeScript('id -u > "$TMP_OUTPUT_DIR/nohome.uid"\n'),
      CONTINUUM_INPUTS: JSON.stringify([{ storage: 's3', bucket: 'data', prefix: 'in', suffix: [] }]),
      CONTINUUM_OUTPUTS: JSON.stringify([{ storage: 's3', bucket: 'data', prefix: 'out', suffix: [] }]),
      CONTINUUM_S3_ENDPOINT: s3.endpoint,
    };
    assert.equal('HOME' in env, false);
    const supervisor = startSupervisor(env, {
      from: 'bundle',
      entry: join(alone, 'supervisor.js'),
      cwd: alone,
      under,
    });
    assert.equal(await supervisor.exited, 0, supervisor.output());
    assert.equal((await bucket.get('out/nohome.uid')).toString(), `${uid}\n`);
  } finally {
    bucket.destroy();
  }
});
