import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IMAGE_HANDLER,
  imageHandlerEntry,
  jobFiles,
  streamingImageBuild,
} from '../src/compile/streaming-image';
import { serviceWith } from './service-dir';

describe("a streaming job's image", () => {
  test('holds the service files under /opt/continuum/job, executable bits kept, without dependencies or build output', () => {
    const dir = serviceWith({
      'serverless.yml': 'service: s',
      'jobs/mapper.py': 'print()',
      'jobs/lib/util.py': '',
    });
    chmodSync(join(dir, 'jobs/mapper.py'), 0o755);
    for (const skipped of ['node_modules/x', '.serverless/mapreduce', '.git/objects', 'jobs/__pycache__']) {
      mkdirSync(join(dir, skipped), { recursive: true });
      writeFileSync(join(dir, skipped, 'file'), '');
    }
    assert.deepEqual(
      jobFiles(dir).map((f) => [f.path, f.executable]),
      [
        ['/opt/continuum/job/jobs/lib/util.py', false],
        ['/opt/continuum/job/jobs/mapper.py', true],
        ['/opt/continuum/job/serverless.yml', false],
      ],
    );
  });

  test('is the base, then the Node.js runtime, the task handler and the job files; the entrypoint runs the handler in the job folder with HOME at /tmp', () => {
    const node = {
      layer: { description: 'Node.js', files: [] },
      command: ['/opt/continuum/node/ld.so', '/opt/continuum/node/node'],
    };
    const files = [{ path: '/opt/continuum/job/jobs/mapper.py', source: { file: '/svc/jobs/mapper.py' } }];
    const build = streamingImageBuild({
      base: 'python:3.12-slim',
      architecture: 'arm64',
      node,
      handlerFile: '/svc/.serverless/mapreduce/streaming-handler.js',
      files,
    });
    assert.equal(build.base, 'python:3.12-slim');
    assert.equal(build.architecture, 'arm64');
    assert.deepEqual(
      build.layers.map((l) => l.description),
      ['Node.js', 'the mapreduce task handler', "the service's job files"],
    );
    assert.deepEqual(build.layers[1]!.files, [
      { path: IMAGE_HANDLER, source: { file: '/svc/.serverless/mapreduce/streaming-handler.js' } },
    ]);
    assert.deepEqual(build.layers[2]!.files, files);
    assert.deepEqual(build.config, {
      entrypoint: ['/opt/continuum/node/ld.so', '/opt/continuum/node/node', IMAGE_HANDLER],
      workingDir: '/opt/continuum/job',
      // Lambda's uid has no passwd entry: the SDK needs a home folder, and /tmp is the writable one.
      defaultEnv: { HOME: '/tmp' },
    });
  });

  test("the handler bundle's entry serves the role the function's image command passes", () => {
    assert.equal(
      imageHandlerEntry('/plugin/runtime/streaming/image-entry'),
      [
        'const { serveStreamingRole } = require("/plugin/runtime/streaming/image-entry");',
        'serveStreamingRole(process.argv[2]).catch((error) => {',
        '  console.error(error);',
        '  process.exit(1);',
        '});',
      ].join('\n'),
    );
  });
});
