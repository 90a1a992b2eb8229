// `sls package` of a streaming mapreduce job with a prebuilt image, under serverless@3 and osls: the mapper and
// reducer are image functions (their role as the image's command), the coordinator stays a zip.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { resource } from './harness/template-parts';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-streaming');
const URI =
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mr-streaming@sha256:4b1f0ad3c5e6d7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70';

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`mapreduce streaming sls package (${framework})`, () => {
    let template: CfnTemplate;
    let dir: string;

    test('packages, and the template passes the AWS resource specification', async () => {
      ({ template, dir } = await packageService(FIXTURE, framework));
      validateTemplate(template);
    });

    test('the mapper and reducer are image functions of the prebuilt image, their role as its command', () => {
      for (const role of ['mapper', 'reducer']) {
        const fn = resource(template, `WordcountDashpyDashmrDash${role}LambdaFunction`);
        assert.equal(fn.Properties.PackageType, 'Image');
        assert.deepEqual(fn.Properties.Code, { ImageUri: URI });
        assert.deepEqual(fn.Properties.ImageConfig, { Command: [role] });
        assert.equal(fn.Properties.Handler, undefined);
        assert.equal(fn.Properties.Runtime, undefined);
        assert.deepEqual(fn.Properties.Role, {
          'Fn::GetAtt': [`WordcountDashpyMapreduce${role[0]!.toUpperCase()}${role.slice(1)}Role`, 'Arn'],
        });
        assert.ok(!existsSync(join(dir, '.serverless', 'mapreduce', `wordcount-py-${role}.zip`)));
      }
      const mapper = resource(template, 'WordcountDashpyDashmrDashmapperLambdaFunction');
      assert.equal(mapper.Properties.MemorySize, 2048);
      assert.equal(mapper.Properties.Timeout, 120);
    });

    test('the programs travel as argv in the job config, with the line limit and the roles timeouts', () => {
      const fn = resource(template, 'WordcountDashpyDashmrDashreducerLambdaFunction');
      const job = JSON.parse(fn.Properties.Environment.Variables.MAPREDUCE_JOB);
      assert.deepEqual(job.streaming, {
        map: ['python3', 'jobs/mapper.py'],
        reduce: ['python3', 'jobs/reducer.py'],
        combine: ['python3', 'jobs/reducer.py'],
        maxLineBytes: 8 * 1024 * 1024,
        mapperTimeout: 120,
        reducerTimeout: 900,
      });
    });

    test('the coordinator stays a zip function', () => {
      const fn = resource(template, 'WordcountDashpyDashmrDashcoordinatorLambdaFunction');
      assert.equal(fn.Properties.Handler, 'index.handler');
      assert.equal(fn.Properties.Runtime, 'nodejs20.x');
      assert.equal(fn.Properties.PackageType, undefined);
      assert.match(fn.Properties.Code.S3Key, /\/wordcount-py-coordinator\.zip$/);
      assert.ok(existsSync(join(dir, '.serverless', 'mapreduce', 'wordcount-py-coordinator.zip')));
    });
  });
}
