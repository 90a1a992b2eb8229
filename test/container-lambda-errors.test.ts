// Broken container-lambda configurations stop `sls package` under both frameworks, naming the path and the fix.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { packageServiceFails, type Framework } from './harness/sls';

const FIXTURE = join(__dirname, 'fixtures', 'container-lambda-errors');

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`configuration errors under ${framework}`, () => {
    test('a container without an image fails schema validation at its path', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { CASE: 'schema' } });
      assert.match(
        run.stdout + run.stderr,
        /functions\.grayify\.container'?: must have required property 'image'/,
      );
    });

    for (const validation of ['error', 'warn']) {
      test(`a container image that is not a string fails as a type error at its path (validation: ${validation})`, async () => {
        const run = await packageServiceFails(FIXTURE, framework, {
          env: { CASE: 'image-type', VALIDATION: validation },
        });
        const text = run.stdout + run.stderr;
        assert.match(text, /functions\.thumb\.container\.image: must be a string, not the number 123/);
        assert.doesNotMatch(text, /Docker is needed/);
      });
    }

    test('batch execution without subnets names the missing field and both places to set it', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { CASE: 'subnets' } });
      assert.match(
        run.stdout + run.stderr,
        /functions\.grayify\.batch\.subnets: required when execution is batch or lambda-batch \(SCAR needs them too: list the VPC subnets for the compute environment, here or for every function in custom\.containerLambda\.batch\.subnets\)/,
      );
    });

    test('an image to build without Docker stops with the function name and both ways out', async () => {
      const run = await packageServiceFails(FIXTURE, framework, { env: { CASE: 'docker' } });
      const text = run.stdout + run.stderr;
      assert.match(
        text,
        /Docker is needed to build the image of function "grayify", and no Docker engine answers here/,
      );
      assert.match(text, /sls container context -f grayify --out <dir> writes the build context/);
      assert.match(text, /uri pinned by digest/);
      assert.match(text, /CONTINUUM_DOCKER_REQUIRED/);
    });
  });
}
