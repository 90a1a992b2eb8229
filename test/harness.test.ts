// The harness proven end to end: a real service with a tiny plugin built on core, packaged by both frameworks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { packageService, packageServiceFails, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';

const fixture = join(__dirname, 'fixtures', 'core-harness');
const PLUGIN_KEY = 'serverless-continuum:plugin';

for (const framework of ['serverless', 'osls'] as const satisfies Framework[]) {
  describe(`the core-harness fixture under ${framework}`, () => {
    test('packages the resources the plugin merged, marked with the plugin, and the template validates', async () => {
      const { template, dir } = await packageService(fixture, framework);
      validateTemplate(template);
      const ours = Object.entries(template.Resources)
        .filter(([, resource]) => resource.Metadata?.[PLUGIN_KEY] === 'harness')
        .map(([id, resource]) => `${id} ${resource.Type}`);
      assert.deepEqual(ours.sort(), [
        'HarnessBucket AWS::S3::Bucket',
        'HarnessDeadLetterQueue AWS::SQS::Queue',
        'HarnessPolicy AWS::IAM::Policy',
        'HarnessQueue AWS::SQS::Queue',
      ]);
      assert.equal(template.Resources.HelloLambdaFunction?.Type, 'AWS::Lambda::Function');
      assert.equal(template.Resources.HelloLambdaFunction?.Metadata?.[PLUGIN_KEY], undefined);
      assert.deepEqual(template.Resources.HarnessQueue?.Properties?.RedrivePolicy, {
        deadLetterTargetArn: { 'Fn::GetAtt': ['HarnessDeadLetterQueue', 'Arn'] },
        maxReceiveCount: 3,
      });
      const policy = JSON.stringify(template.Resources.HarnessPolicy?.Properties);
      assert.ok(policy.includes('"arn:${AWS::Partition}:s3:::continuum-harness-data/in/*"'), policy);
      assert.ok(policy.includes('"arn:${AWS::Partition}:s3:::continuum-harness-data/out/*"'), policy);
      assert.equal(policy.includes('"*"'), false);
      assert.ok(existsSync(join(dir, '.serverless', 'core-harness.zip')));
    });

    test('packages a serverless.ts service as well', async () => {
      const { template } = await packageService(fixture, framework, { args: ['--config', 'serverless.ts'] });
      validateTemplate(template);
      assert.equal(template.Resources.HarnessBucket?.Properties?.BucketName, 'continuum-harness-typed');
      assert.equal(template.Resources.HarnessQueue, undefined);
    });

    test('refuses a config without custom.harness.bucket, naming the path', async () => {
      const { stderr, stdout, code } = await packageServiceFails(fixture, framework, {
        args: ['--config', 'missing-bucket.yml'],
      });
      assert.notEqual(code, 0);
      assert.match(stderr + stdout, /at 'custom\.harness': must have required property 'bucket'/);
    });

    test('shows a ContinuumError thrown in a hook as a clean error: message and code, no stack', async () => {
      const { stderr, stdout } = await packageServiceFails(fixture, framework, {
        args: ['--config', 'hook-fails.yml'],
      });
      const output = stderr + stdout;
      assert.ok(
        output.includes('custom.harness.fail asked the harness plugin to fail [CONTINUUM_INVALID_CONFIG]'),
        output,
      );
      assert.doesNotMatch(output, /^\s+at .+\(.+:\d+:\d+\)$/m);
    });
  });
}

test('packageService rejects with the CLI output when the framework fails', async () => {
  await assert.rejects(
    packageService(fixture, 'osls', { args: ['--config', 'missing-bucket.yml'] }),
    (error: Error) => {
      assert.match(error.message, /osls package failed \(exit 1\) for core-harness/);
      const { stdout, stderr } = error as Error & { stdout: string; stderr: string };
      // Both frameworks write the error itself with writeText (stdout) and the details to stderr.
      assert.match(stdout + stderr, /must have required property 'bucket'/);
      assert.match(error.message, /must have required property 'bucket'/);
      return true;
    },
  );
});

test('packageServiceFails rejects when the framework succeeds', async () => {
  await assert.rejects(packageServiceFails(fixture, 'osls'), /succeeded, expected a failure/);
});
