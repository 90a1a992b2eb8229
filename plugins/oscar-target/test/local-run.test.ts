// runOscarScriptLocally: an OSCAR service's script on this machine with faas-supervisor's variables, its
// outputs collected as OSCAR would upload them, and a failure that names the file and leaves it alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isContinuumError } from '@serverless-continuum/core/errors';
import { minioEvent, OSCAR_SCRIPT_VARIABLES, runOscarScriptLocally } from '../src/local';

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'oscar-local-test-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const dir = mkdtempSync(join(scratch, 'file-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

const quiet = () => undefined;

describe('runOscarScriptLocally', () => {
  test("sets OSCAR's supervisor variables, the service's own, and no storage credentials", async () => {
    const outputDir = join(scratch, 'out-vars');
    const script = write(
      'vars.sh',
      [
        'for name in INPUT_FILE_PATH TMP_INPUT_DIR TMP_OUTPUT_DIR STORAGE_OBJECT_KEY THRESHOLD AWS_SECRET_ACCESS_KEY; do',
        '  eval "value=\\${$name-unset}"',
        '  printf "%s=%s\\n" "$name" "$value"',
        'done > "$TMP_OUTPUT_DIR/vars.txt"',
        'printf "%s" "$EVENT" > "$TMP_OUTPUT_DIR/event.json"',
        'cat "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/copy.jpg"',
      ].join('\n'),
    );
    const previous = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'never-for-the-script';
    try {
      await runOscarScriptLocally({
        service: 'plants',
        script,
        inputFile: write('leaf 1.jpg', 'LEAF'),
        environment: { THRESHOLD: '0.8' },
        inputs: [{ storage: 'minio.default', path: 'plants/in', suffix: ['.jpg'] }],
        outputDir,
        log: quiet,
      });
    } finally {
      if (previous === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = previous;
    }
    const vars = Object.fromEntries(
      readFileSync(join(outputDir, 'vars.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    assert.equal(vars.STORAGE_OBJECT_KEY, 'in/leaf 1.jpg');
    assert.equal(vars.THRESHOLD, '0.8');
    assert.equal(vars.AWS_SECRET_ACCESS_KEY, 'unset');
    assert.equal(vars.INPUT_FILE_PATH, join(vars.TMP_INPUT_DIR!, 'leaf 1.jpg'));
    assert.match(vars.TMP_OUTPUT_DIR!, /continuum-/);
    assert.equal(readFileSync(join(outputDir, 'copy.jpg'), 'utf8'), 'LEAF');
    const event = JSON.parse(readFileSync(join(outputDir, 'event.json'), 'utf8')) as {
      Records: Array<{ eventTime: string; s3: { object: { key: string } } }>;
    };
    assert.deepEqual(event, minioEvent('plants', 'in/leaf 1.jpg', 4, event.Records[0]!.eventTime));
    assert.equal(event.Records[0]!.s3.object.key, 'in%2Fleaf+1.jpg', 'escaped as MinIO escapes keys');
    // The run's folders are gone once it is over.
    assert.equal(existsSync(vars.TMP_OUTPUT_DIR!), false);
    assert.deepEqual(
      [...OSCAR_SCRIPT_VARIABLES],
      ['INPUT_FILE_PATH', 'TMP_INPUT_DIR', 'TMP_OUTPUT_DIR', 'STORAGE_OBJECT_KEY', 'EVENT'],
    );
  });

  test('file names reach the script as variables, never through a shell', async () => {
    const name = `a'b "c" $(touch PWNED) ; touch PWNED2 \`touch PWNED3\`.txt`;
    const cwd = mkdtempSync(join(scratch, 'cwd-'));
    const outputDir = join(scratch, 'out-names');
    const result = await runOscarScriptLocally({
      script: write('name.sh', 'basename "$INPUT_FILE_PATH" > "$TMP_OUTPUT_DIR/name.txt"\n'),
      inputFile: write(name, 'x'),
      outputDir,
      cwd,
      log: quiet,
    });
    assert.deepEqual(result.files, ['name.txt']);
    assert.equal(readFileSync(join(outputDir, 'name.txt'), 'utf8'), `${name}\n`);
    assert.deepEqual(readdirSync(cwd), [], 'nothing the name spells was run');
  });

  test('collects what OSCAR would upload, subfolders kept, and says where each file goes', async () => {
    const outputDir = join(scratch, 'out-collect');
    const result = await runOscarScriptLocally({
      service: 'plants',
      script: write(
        'plants.sh',
        [
          'name=$(basename "$INPUT_FILE_PATH" .jpg)',
          'mkdir -p "$TMP_OUTPUT_DIR/masks"',
          'echo "class of $name" > "$TMP_OUTPUT_DIR/$name.txt"',
          'echo mask > "$TMP_OUTPUT_DIR/masks/$name.png"',
          'echo debug > "$TMP_OUTPUT_DIR/debug.log"',
          'echo "done $name"',
        ].join('\n'),
      ),
      inputFile: write('leaf.jpg', 'LEAF'),
      inputs: [{ storage: 'minio.default', path: 'plants/in', suffix: ['.jpg'] }],
      outputs: [
        { storage: 'minio.default', path: 'plants/out', suffix: ['.txt', '.png'] },
        { storage: 's3.aws', path: 'my-bucket/from-oscar', suffix: ['.txt'] },
      ],
      outputDir,
      log: quiet,
    });
    assert.deepEqual(result.files, ['leaf.txt', 'masks/leaf.png']);
    assert.deepEqual(files(outputDir), ['leaf.txt', join('masks', 'leaf.png')]);
    assert.deepEqual(
      result.uploads.map(({ storage, bucket, key }) => `${storage} ${bucket}/${key}`),
      [
        'minio.default plants/out/leaf.txt',
        'minio.default plants/out/masks/leaf.png',
        's3.aws my-bucket/from-oscar/leaf.txt',
      ],
    );
    assert.equal(readFileSync(result.uploads[2]!.file, 'utf8'), 'class of leaf\n');
    assert.equal(result.stdout, 'done leaf\n');
  });

  test('a failing script writes nothing, keeps the input as it was, and the error names the file', async () => {
    const outputDir = join(scratch, 'out-fail');
    const inputFile = write('leaf.jpg', 'LEAF');
    const error = await runOscarScriptLocally({
      service: 'plants',
      script: write(
        'fail.sh',
        'echo half > "$TMP_OUTPUT_DIR/half.txt"\nrm -f "$INPUT_FILE_PATH"\necho "no model" >&2\nexit 3\n',
      ),
      inputFile,
      outputDir,
      log: quiet,
    }).then(
      () => assert.fail('the run should fail'),
      (caught: unknown) => caught,
    );
    assert.ok(isContinuumError(error));
    assert.equal(error.code, 'CONTINUUM_SCRIPT_FAILED');
    assert.equal(
      error.message,
      `${inputFile}: the script of service plants exited with code 3; nothing was written, the input file is untouched\n` +
        'last lines of its stderr:\n  no model',
    );
    assert.equal(readFileSync(inputFile, 'utf8'), 'LEAF');
    assert.deepEqual(files(outputDir), []);
  });

  test('a script past its timeout is stopped and nothing is written', async () => {
    const outputDir = join(scratch, 'out-timeout');
    await assert.rejects(
      runOscarScriptLocally({
        service: 'slow',
        script: write('slow.sh', 'echo x > "$TMP_OUTPUT_DIR/x.txt"\nsleep 30\n'),
        inputFile: write('a.txt', 'A'),
        outputDir,
        timeoutSeconds: 0.3,
        log: quiet,
      }),
      (error: unknown) =>
        isContinuumError(error) &&
        error.code === 'CONTINUUM_DEADLINE' &&
        error.message.includes('did not finish in 0.3 s'),
    );
    assert.deepEqual(files(outputDir), []);
  });

  test('a file the inputs would not take is refused, saying which suffixes the service processes', async () => {
    await assert.rejects(
      runOscarScriptLocally({
        service: 'plants',
        script: write('noop.sh', 'true\n'),
        inputFile: write('notes.txt', 'N'),
        inputs: [{ storage: 'minio.default', path: 'plants/in', suffix: ['.jpg', '.png'] }],
        outputDir: join(scratch, 'out-refused'),
        log: quiet,
      }),
      /notes\.txt: the service plants only processes files ending in \.jpg, \.png/,
    );
  });

  test('a hard link to a file outside TMP_OUTPUT_DIR is refused and nothing is written', async () => {
    const outside = write('secret.txt', 'not for publishing');
    const outputDir = join(scratch, 'out-hardlink');
    await assert.rejects(
      runOscarScriptLocally({
        script: write('link.sh', `ln ${JSON.stringify(outside)} "$TMP_OUTPUT_DIR/leak.txt"\n`),
        inputFile: write('a.txt', 'A'),
        outputDir,
        log: quiet,
      }),
      (error: unknown) => isContinuumError(error) && error.code === 'CONTINUUM_UNSAFE_OUTPUT',
    );
    assert.deepEqual(files(outputDir), []);
  });
});
