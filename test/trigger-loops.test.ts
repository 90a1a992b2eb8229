// Trigger loops across functions and plugins stop `sls package` (serverless@3 and osls), naming every
// function, job and binding of the loop: once deployed, such a service would run without end.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { packageServiceFails, type Framework } from './harness/sls';

const FIXTURE = join(__dirname, 'fixtures', 'trigger-loops');

const CONSEQUENCE =
  'every object written there would start the loop again, without end (write one output of each loop where no input of the loop listens: another bucket, or a prefix outside the inputs)';

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`trigger loops under ${framework}`, () => {
    test("a mapreduce job whose results start a container function that writes into the job's input is refused", async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { CASE: 'cross-plugin' } });
      const text = run.stdout + run.stderr;
      assert.ok(
        text.includes(
          'custom.mapreduce.wordcount.output: starts a trigger loop: ' +
            'custom.mapreduce.wordcount.output (loop-bucket/counts) -> functions.republish.input[0] (loop-bucket/counts) -> ' +
            'functions.republish.output[0] (loop-bucket/incoming/republished) -> custom.mapreduce.wordcount.input (loop-bucket/incoming) -> ' +
            `back to custom.mapreduce.wordcount: ${CONSEQUENCE}`,
        ),
        text,
      );
      assert.match(text, /CONTINUUM_INVALID_CONFIG/);
    });

    test('a function and one imported from SCAR FDL that feed each other are refused, naming the FDL file', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { CASE: 'fdl' } });
      const text = run.stdout + run.stderr;
      assert.ok(
        text.includes(
          'functions.ocr.output[0]: starts a trigger loop: ' +
            'functions.ocr.output[0] (docs-bucket/text) -> functions.scan.input[0] (docs-bucket/text) -> ' +
            'functions.scan.output[0] (docs-bucket/scans) -> functions.ocr.input[0] (docs-bucket/scans) [imported from scar/ocr.yaml functions.aws[0].lambda] -> ' +
            `back to functions.ocr: ${CONSEQUENCE}`,
        ),
        text,
      );
    });
  });
}
