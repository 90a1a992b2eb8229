// One service file for two targets: OSCAR's function keys on `provider: aws` (container-lambda) are accepted by
// both frameworks, in configValidationMode error, and each is said to do nothing on Lambda.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { packageService } from './harness/sls';

const FIXTURE = join(__dirname, 'fixtures', 'container-lambda-oscar-keys');

for (const framework of ['serverless', 'osls'] as const) {
  test(`OSCAR's keys on a Lambda function package with a warning per key (${framework})`, async () => {
    const { template, stdout, stderr } = await packageService(FIXTURE, framework);
    assert.ok(template.Resources.ThumbLambdaFunction);
    for (const key of ['cpu', 'logLevel', 'synchronous']) {
      assert.match(
        stdout + stderr,
        new RegExp(
          `functions\\.thumb\\.${key}: an OSCAR setting \\(provider: oscar, the oscar-target plugin\\); on AWS Lambda it does nothing`,
        ),
      );
    }
  });
}
