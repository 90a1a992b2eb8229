// The build context `sls package` and `sls container context` write: what Docker will build.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerfile, writeBuildContext } from '../src/build-context';
import { resolveContainerFunction } from '../src/config';

const dir = mkdtempSync(join(tmpdir(), 'container-context-'));
writeFileSync(
  join(dir, 'grayify.sh'),
  'convert "$INPUT_FILE_PATH" -colorspace Gray "$TMP_OUTPUT_DIR/out.png"\n',
);
writeFileSync(join(dir, 'supervisor.js'), '// stand-in for dist/runtime/supervisor.js\n');

const fn = resolveContainerFunction(
  'grayify',
  { container: { image: 'grycap/imagemagick:1.2', script: 'grayify.sh' } },
  { serviceDir: dir },
);

describe('build context', () => {
  test('the Dockerfile starts from the user image and brings Node.js, the supervisor and the script under /opt/continuum', () => {
    const lines = dockerfile(fn).split('\n');
    assert.ok(lines.includes('FROM --platform=linux/amd64 node:20-bookworm-slim AS continuum-node'));
    assert.ok(lines.includes('FROM --platform=linux/amd64 grycap/imagemagick:1.2'));
    assert.ok(lines.includes('COPY --from=continuum-node /usr/local/bin/node /opt/continuum/node'));
    assert.ok(lines.includes('COPY supervisor.js /opt/continuum/supervisor.js'));
    assert.ok(lines.includes('COPY script.sh /opt/continuum/script.sh'));
    assert.ok(lines.includes('ENTRYPOINT ["/opt/continuum/node", "/opt/continuum/supervisor.js"]'));
    assert.ok(
      lines.indexOf('FROM --platform=linux/amd64 grycap/imagemagick:1.2') <
        lines.findIndex((l) => l.startsWith('ENTRYPOINT')),
      'the entry point belongs to the final stage',
    );
  });

  test('alpine: true takes the musl Node.js and its C++ runtime libraries', () => {
    const text = dockerfile({ ...fn, alpine: true });
    assert.match(text, /^FROM --platform=linux\/amd64 node:20-alpine AS continuum-node$/m);
    assert.match(
      text,
      /^COPY --from=continuum-node \/usr\/lib\/libstdc\+\+\.so\.6 \/usr\/lib\/libgcc_s\.so\.1 \/opt\/continuum\/lib\/$/m,
    );
    assert.match(text, /LD_LIBRARY_PATH=\/opt\/continuum\/lib/);
  });

  test('arm64: the user image and the Node.js binary it brings are both the linux/arm64 ones', () => {
    const arm = resolveContainerFunction(
      'grayify',
      { container: { image: 'grycap/imagemagick:1.2', script: 'grayify.sh' }, architecture: 'arm64' },
      { serviceDir: dir },
    );
    const lines = dockerfile(arm).split('\n');
    assert.deepEqual(
      lines.filter((line) => line.startsWith('FROM ')),
      [
        'FROM --platform=linux/arm64 node:20-bookworm-slim AS continuum-node',
        'FROM --platform=linux/arm64 grycap/imagemagick:1.2',
      ],
    );
    assert.match(
      dockerfile({ ...arm, alpine: true }),
      /^FROM --platform=linux\/arm64 node:20-alpine AS continuum-node$/m,
    );
  });

  test('an image name cannot smuggle Dockerfile instructions', () => {
    assert.throws(() => dockerfile({ ...fn, image: 'alpine\nRUN curl evil' }), {
      message: /^functions\.grayify\.container\.image: "alpine\nRUN curl evil" is not an image reference/,
    });
  });

  test('writes Dockerfile, supervisor and script, replacing an older context whole', () => {
    const out = join(dir, 'ctx');
    writeBuildContext(fn, out, { supervisorPath: join(dir, 'supervisor.js') });
    writeFileSync(join(out, 'stale.txt'), 'left from an older run');
    const files = writeBuildContext(fn, out, { supervisorPath: join(dir, 'supervisor.js') });
    assert.deepEqual(files, ['Dockerfile', 'supervisor.js', 'script.sh', '.dockerignore']);
    assert.deepEqual(readdirSync(out).sort(), ['.dockerignore', 'Dockerfile', 'script.sh', 'supervisor.js']);
    assert.equal(readFileSync(join(out, 'script.sh'), 'utf8'), readFileSync(join(dir, 'grayify.sh'), 'utf8'));
    assert.equal(readFileSync(join(out, 'Dockerfile'), 'utf8'), dockerfile(fn));
  });

  test('a failure leaves no half-written context behind', () => {
    const out = join(dir, 'broken');
    assert.throws(() => writeBuildContext(fn, out, { supervisorPath: join(dir, 'missing.js') }));
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('broken')),
      [],
    );
  });
});
