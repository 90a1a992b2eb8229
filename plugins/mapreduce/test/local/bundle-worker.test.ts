// The local worker's entry: a streaming job run from the plugin's build starts the compiled worker with no bundling.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compiledStreamingWorker } from '../../src/local/bundle-worker';

describe("a streaming job's local worker", () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-worker-entry-'));

  test('requires the compiled worker module and starts it, when the build has one', () => {
    const worker = join(dir, 'worker');
    writeFileSync(`${worker}.js`, 'exports.startWorker = () => {};\n');
    const outfile = join(dir, 'entry.js');
    assert.equal(compiledStreamingWorker(outfile, worker), outfile);
    assert.equal(
      readFileSync(outfile, 'utf8'),
      `require(${JSON.stringify(`${worker}.js`)}).startWorker();\n`,
    );
  });

  test('is left to the bundler when only sources exist (run through tsx)', () => {
    assert.equal(compiledStreamingWorker(join(dir, 'other.js'), join(dir, 'missing', 'worker')), undefined);
  });
});
