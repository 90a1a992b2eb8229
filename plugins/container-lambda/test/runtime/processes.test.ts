// Nothing a script starts outlives its invocation: the bundled supervisor in a sandbox of its own (a PID namespace
// with its own /proc, as a Lambda sandbox or a Batch container is), as Lambda and as a Batch job.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import { parseStat } from '@serverless-continuum/core/local';
import { startRuntimeApi, type FakeRuntimeApi } from './helpers/runtime-api';
import { s3Event, TestBucket } from './helpers/s3';
import { AWS_TEST_ENV, BUNDLE, startSandboxedSupervisor, writeScript } from './helpers/supervisor';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let s3: LocalService;
let bucket: TestBucket;
let api: FakeRuntimeApi;
let scratch: string;
before(async () => {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run \`npm run build\` first`);
  s3 = await startS3rver({ buckets: ['data'] });
  bucket = new TestBucket(s3.endpoint, 'data');
  api = await startRuntimeApi();
  scratch = mkdtempSync(join(tmpdir(), 'continuum-processes-test-'));
});
after(async () => {
  bucket.destroy();
  await Promise.all([s3.close(), api.close()]);
  rmSync(scratch, { recursive: true, force: true });
});

test('reads /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
  const stat = '4242 (a) b (c) S 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 98765 0 0';
  assert.deepEqual(parseStat(stat), {
    pid: 4242,
    ppid: 17,
    pgid: 4242,
    sid: 4242,
    startTime: '98765',
    state: 'S',
  });
});

// Both wait out the detached `sleep 8`, side by side. The scripts wait a little before they exit, so the detached
// processes have surely left the script's process group, which is killed first.
describe('a detached process the script starts', { concurrency: true }, () => {
  test('in Lambda, is ended with the invocation: the next invocation sees no trace of it, its marker never appears', async () => {
    const marker = join(scratch, 'lambda-marker');
    const supervisor = startSandboxedSupervisor({
      ...AWS_TEST_ENV,
      AWS_LAMBDA_RUNTIME_API: api.address,
      CONTINUUM_USER_ENV: 'MARKER',
      MARKER: marker,
      CONTINUUM_SCRIPT: writeScript(`
case "$EVENT" in
  *first*) setsid sh -c 'sleep 8; touch "$MARKER"' & sleep 0.5; echo started ;;
  *) for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f" 2>/dev/null; echo; done | grep '[s]leep 8' || echo none ;;
esac
`),
    });
    try {
      const started = Date.now();
      const first = await api.invoke({ first: true }, { requestId: 'req-detach-1' });
      assert.deepEqual(first, { ...first, kind: 'response', body: 'started\n' }, supervisor.output());
      const second = await api.invoke({ second: true }, { requestId: 'req-detach-2' });
      assert.deepEqual(
        second,
        { ...second, kind: 'response', body: 'none\n' },
        'no process of the first is left',
      );
      assert.match(supervisor.output(), /\[supervisor\] ended [12] process(es)? the script left running/);
      await sleep(started + 9000 - Date.now());
      assert.equal(existsSync(marker), false, 'the detached process never ran on');
    } finally {
      await supervisor.stop();
    }
  });

  test('in Batch, is ended before the outputs are published: they are what the script left', async () => {
    const marker = join(scratch, 'batch-marker');
    await bucket.put('in/job.jpg', 'x');
    const supervisor = startSandboxedSupervisor({
      ...AWS_TEST_ENV,
      CONTINUUM_MODE: 'batch',
      CONTINUUM_EVENT: JSON.stringify(s3Event('data', 'in/job.jpg')),
      CONTINUUM_INPUTS: JSON.stringify([{ storage: 's3', bucket: 'data', prefix: 'in', suffix: [] }]),
      CONTINUUM_OUTPUTS: JSON.stringify([{ storage: 's3', bucket: 'data', prefix: 'out', suffix: [] }]),
      CONTINUUM_S3_ENDPOINT: s3.endpoint,
      CONTINUUM_USER_ENV: 'MARKER',
      MARKER: marker,
      CONTINUUM_SCRIPT: writeScript(`
echo good > "$TMP_OUTPUT_DIR/result.txt"
setsid sh -c 'sleep 8; touch "$MARKER"' &
setsid sh -c 'sleep 1; while :; do echo changed > "$TMP_OUTPUT_DIR/result.txt"; done' &
sleep 0.5
`),
    });
    try {
      const started = Date.now();
      assert.equal(await supervisor.exited, 0, supervisor.output());
      assert.equal((await bucket.get('out/result.txt')).toString(), 'good\n');
      assert.match(supervisor.output(), /\[supervisor\] ended [1-4] process(es)? the script left running/);
      await sleep(started + 9000 - Date.now());
      assert.equal(existsSync(marker), false, 'the detached process never ran on');
    } finally {
      await supervisor.stop();
    }
  });
});
