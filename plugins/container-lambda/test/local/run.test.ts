// The local runner: the supervisor's processing on this machine, compared with what the cloud path publishes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import type { StorageBindingRuntime } from '../../src/runtime/contract';
import { invokeLocal, runLocal } from '../../src/local/run';
import { startRuntimeApi, type FakeRuntimeApi } from '../runtime/helpers/runtime-api';
import { s3Event, TestBucket } from '../runtime/helpers/s3';
import { AWS_TEST_ENV, startSupervisor, writeScript } from '../runtime/helpers/supervisor';

const INPUT: StorageBindingRuntime = { storage: 's3', bucket: 'data', prefix: 'in', suffix: ['.jpg'] };
const OUTPUTS: StorageBindingRuntime[] = [
  { storage: 's3', bucket: 'data', prefix: 'out', suffix: ['.png'] },
  { storage: 's3', bucket: 'data', prefix: 'reports', suffix: ['.txt'], prefixFilter: ['summary'] },
];
const SCRIPT = `
set -e
name=$(basename "$INPUT_FILE_PATH" .jpg)
mkdir -p "$TMP_OUTPUT_DIR/thumbs/small"
cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$name.png"
printf 'small %s' "$QUALITY" > "$TMP_OUTPUT_DIR/thumbs/small/$name.png"
echo "summary of $name" > "$TMP_OUTPUT_DIR/summary-$name.txt"
echo "debug" > "$TMP_OUTPUT_DIR/debug.txt"
echo "log" > "$TMP_OUTPUT_DIR/run.log"
echo "done $name"
`;

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'continuum-local-test-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path).split('\\').join('/'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

function inputFile(name: string, content: string): string {
  const dir = mkdtempSync(join(scratch, 'input-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('runLocal', () => {
  let s3: LocalService;
  let api: FakeRuntimeApi;
  before(async () => {
    s3 = await startS3rver({ buckets: ['data'] });
    api = await startRuntimeApi();
  });
  after(async () => Promise.all([s3.close(), api.close()]));

  test('writes to outDir exactly the files the cloud run uploads, at the same relative paths', async () => {
    const script = writeScript(SCRIPT);
    // The cloud path: the supervisor process, the Runtime API and S3.
    const bucket = new TestBucket(s3.endpoint, 'data');
    const supervisor = startSupervisor({
      ...AWS_TEST_ENV,
      AWS_LAMBDA_RUNTIME_API: api.address,
      CONTINUUM_FUNCTION: 'thumbs',
      CONTINUUM_SCRIPT: script,
      CONTINUUM_INPUTS: JSON.stringify([INPUT]),
      CONTINUUM_OUTPUTS: JSON.stringify(OUTPUTS),
      CONTINUUM_S3_ENDPOINT: s3.endpoint,
      CONTINUUM_USER_ENV: 'QUALITY',
      QUALITY: '75',
    });
    try {
      await bucket.put('in/cat photo.jpg', 'CAT');
      const outcome = await api.invoke(s3Event('data', 'in/cat photo.jpg'), { requestId: 'req-compare' });
      assert.equal(outcome.kind, 'response', JSON.stringify(outcome.body));
    } finally {
      await supervisor.stop();
    }
    const cloud = new Map<string, string>();
    for (const output of OUTPUTS) {
      for (const key of await bucket.keys(`${output.prefix}/`)) {
        cloud.set(key.slice(output.prefix.length + 1), (await bucket.get(key)).toString());
      }
    }
    bucket.destroy();

    const outDir = join(scratch, 'out-compare');
    const lines: string[] = [];
    const result = await runLocal({
      functionName: 'thumbs',
      script,
      environment: { QUALITY: '75' },
      inputs: [INPUT],
      outputs: OUTPUTS,
      file: inputFile('cat photo.jpg', 'CAT'),
      outDir,
      log: (line) => lines.push(line),
    });
    assert.deepEqual(result, {
      uploaded: ['cat photo.png', 'summary-cat photo.txt', 'thumbs/small/cat photo.png'],
      stdout: 'done cat photo\n',
      stderrTail: '',
      exitCode: 0,
    });
    assert.deepEqual(files(outDir), [...cloud.keys()].sort());
    for (const [rel, content] of cloud) assert.equal(readFileSync(join(outDir, rel), 'utf8'), content);
    assert.ok(lines.includes('done cat photo'));
  });

  test('a failing script writes nothing and returns its exit code and the end of its stderr', async () => {
    const outDir = join(scratch, 'out-fail');
    const result = await runLocal({
      functionName: 'thumbs',
      script: writeScript('echo x > "$TMP_OUTPUT_DIR/x.png"\necho oops >&2\nexit 3\n'),
      environment: {},
      inputs: [INPUT],
      outputs: OUTPUTS,
      file: inputFile('a.jpg', 'A'),
      outDir,
      log: () => undefined,
    });
    assert.deepEqual(result, { uploaded: [], stdout: '', stderrTail: 'oops', exitCode: 3 });
    assert.deepEqual(files(outDir), []);
  });

  test('a hard link in TMP_OUTPUT_DIR to a file outside it is refused, saying why, and nothing is written', async () => {
    const outDir = join(scratch, 'out-hardlink');
    const secret = join(scratch, 'outside-secret.txt');
    writeFileSync(secret, 'not for publishing');
    await assert.rejects(
      runLocal({
        functionName: 'thumbs',
        script: writeScript(
          'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/a.png"\nln "$SECRET" "$TMP_OUTPUT_DIR/leak.png"\n',
        ),
        environment: { SECRET: secret },
        inputs: [INPUT],
        outputs: OUTPUTS,
        file: inputFile('a.jpg', 'A'),
        outDir,
        log: () => undefined,
      }),
      {
        code: 'CONTINUUM_UNSAFE_OUTPUT',
        message:
          's3://data/in/a.jpg: TMP_OUTPUT_DIR/leak.png has 2 hard links: only files created in ' +
          'TMP_OUTPUT_DIR are uploaded (a hard link may be a file from elsewhere); copy it instead; nothing was published',
      },
    );
    assert.deepEqual(files(outDir), []);
  });

  test('a detached process the script starts is ended with it: it is gone and its marker never appears', async () => {
    const marker = join(scratch, 'local-detached-marker');
    const started = Date.now();
    const result = await runLocal({
      functionName: 'thumbs',
      script: writeScript(
        `setsid sh -c 'sleep 8; touch "$MARKER"' &\nsleep 0.5\necho x > "$TMP_OUTPUT_DIR/x.png"\n`,
      ),
      environment: { MARKER: marker },
      inputs: [INPUT],
      outputs: OUTPUTS,
      file: inputFile('detached.jpg', 'D'),
      outDir: join(scratch, 'out-detached'),
      log: () => undefined,
    });
    assert.equal(result.exitCode, 0);
    const survivors = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          // The detached shell inherited MARKER; its command line holds only the name.
          return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`MARKER=${marker}\0`);
        } catch {
          return false;
        }
      });
    assert.deepEqual(survivors, [], 'no process of the script is left');
    await new Promise((resolve) => setTimeout(resolve, started + 9000 - Date.now()));
    assert.equal(existsSync(marker), false);
  });

  test('a file the input filters would ignore is refused with the reason', async () => {
    await assert.rejects(
      runLocal({
        functionName: 'thumbs',
        script: writeScript('true\n'),
        environment: {},
        inputs: [INPUT],
        outputs: OUTPUTS,
        file: inputFile('notes.txt', 'x'),
        outDir: join(scratch, 'out-refused'),
        log: () => undefined,
      }),
      /notes\.txt: the function thumbs only processes files ending in \.jpg; the cloud run would ignore this one/,
    );
  });

  test('a script that outlives timeoutSeconds is stopped and nothing is written', async () => {
    const outDir = join(scratch, 'out-timeout');
    await assert.rejects(
      runLocal({
        functionName: 'thumbs',
        script: writeScript('echo x > "$TMP_OUTPUT_DIR/x.png"\nsleep 30\n'),
        environment: {},
        inputs: [INPUT],
        outputs: OUTPUTS,
        file: inputFile('slow.jpg', 'x'),
        outDir,
        timeoutSeconds: 0.3,
        log: () => undefined,
      }),
      { code: 'CONTINUUM_DEADLINE' },
    );
    assert.deepEqual(files(outDir), []);
  });
});

describe('invokeLocal', () => {
  test('answers an S3 event with objects read from and written to folders under workDir', async () => {
    const workDir = join(scratch, 'work-s3');
    mkdirSync(join(workDir, 'data/in'), { recursive: true });
    writeFileSync(join(workDir, 'data/in/dog.jpg'), 'DOG');
    const result = await invokeLocal({
      functionName: 'thumbs',
      script: writeScript(SCRIPT),
      environment: { QUALITY: '50' },
      inputs: [INPUT],
      outputs: OUTPUTS,
      event: s3Event('data', 'in/dog.jpg'),
      workDir,
      log: () => undefined,
    });
    assert.deepEqual(result, {
      records: [
        {
          bucket: 'data',
          key: 'in/dog.jpg',
          status: 'processed',
          uploaded: ['data/out/dog.png', 'data/out/thumbs/small/dog.png', 'data/reports/summary-dog.txt'],
        },
      ],
    });
    assert.equal(readFileSync(join(workDir, 'data/out/thumbs/small/dog.png'), 'utf8'), 'small 50');
  });

  test('answers an HTTP call with the stdout of the script, base64', async () => {
    const result = await invokeLocal({
      functionName: 'echo',
      script: writeScript('tr a-z A-Z < "$INPUT_FILE_PATH"\n'),
      environment: {},
      inputs: [],
      outputs: [],
      event: { httpMethod: 'POST', body: 'hello', isBase64Encoded: false },
      workDir: join(scratch, 'work-http'),
      log: () => undefined,
    });
    assert.deepEqual(result, {
      statusCode: 200,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.from('HELLO').toString('base64'),
      isBase64Encoded: true,
    });
  });

  test('a direct invocation returns the stdout; a failing one rejects naming the invocation', async () => {
    const common = {
      functionName: 'f',
      environment: {},
      inputs: [],
      outputs: [],
      workDir: join(scratch, 'w'),
    };
    assert.equal(
      await invokeLocal({
        ...common,
        script: writeScript('printf "%s" "$EVENT"\n'),
        event: { a: 1 },
        log: () => undefined,
      }),
      '{"a":1}',
    );
    await assert.rejects(
      invokeLocal({
        ...common,
        script: writeScript('echo nope >&2; exit 2\n'),
        event: {},
        log: () => undefined,
      }),
      {
        code: 'CONTINUUM_SCRIPT_FAILED',
        message: 'the invocation: the script failed with exit code 2; stderr (last lines):\nnope',
      },
    );
  });
});
