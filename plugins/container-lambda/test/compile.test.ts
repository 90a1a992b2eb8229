// The pure compile step: what a container function becomes before and after the framework compiles it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveContainerFunction, type ContainerFunctionConfig } from '../src/config';
import { compileService, ecrImageName, existingBuckets, functionPatch } from '../src/compile';
import { environmentSize } from '../src/compile/environment';

const dir = mkdtempSync(join(tmpdir(), 'container-compile-'));
writeFileSync(join(dir, 'run.sh'), 'true\n');
const net = { subnets: ['subnet-1'], securityGroupIds: ['sg-1'] };
const resolve = (name: string, fn: ContainerFunctionConfig, architecture?: string) =>
  resolveContainerFunction(name, fn, { serviceDir: dir, lambdaName: `svc-dev-${name}`, architecture });

describe('function patch', () => {
  test('an image to build is registered in provider.ecr.images with the build context path and platform', () => {
    const fn = resolve(
      'Grayify_V2',
      { container: { image: 'grycap/imagemagick', script: 'run.sh' } },
      'arm64',
    );
    const patch = functionPatch(fn, { existingBuckets: new Set(), manageRole: true });
    const name = ecrImageName('Grayify_V2');
    assert.match(name, /^grayify_v2-[0-9a-f]{6}$/);
    assert.deepEqual(patch, {
      image: { name },
      role: 'GrayifyUnderscoreV2ContainerRole',
      events: [],
      ecrImage: {
        name,
        config: { path: '.serverless/container-lambda/Grayify_V2', platform: 'linux/arm64' },
      },
    });
  });

  test('image names the framework accepts are kept as they are', () => {
    assert.equal(ecrImageName('grayify'), 'grayify');
    assert.notEqual(ecrImageName('a'.repeat(40)), ecrImageName(`${'a'.repeat(40)}b`));
    assert.match(ecrImageName('9lives'), /^c-9lives-[0-9a-f]{6}$/);
  });

  test('api adds an http event; an input on an existing bucket adds the framework s3 event per rule', () => {
    const fn = resolve('thumb', {
      container: { image: 'alpine', script: 'run.sh' },
      api: true,
      input: [{ storage: 's3', path: 'lab/raw', suffix: ['.tif', '.png'], existing: true }],
    });
    const patch = functionPatch(fn, { existingBuckets: existingBuckets([fn]), manageRole: false });
    assert.equal(patch.role, undefined);
    assert.deepEqual(patch.events, [
      {
        s3: {
          bucket: 'lab',
          event: 's3:ObjectCreated:*',
          existing: true,
          rules: [{ prefix: 'raw/' }, { suffix: '.tif' }],
        },
      },
      {
        s3: {
          bucket: 'lab',
          event: 's3:ObjectCreated:*',
          existing: true,
          rules: [{ prefix: 'raw/' }, { suffix: '.png' }],
        },
      },
      { http: { path: 'thumb', method: 'any' } },
    ]);
  });
});

describe('compileService', () => {
  const shared = resolve('first', {
    container: { image: 'alpine', script: 'run.sh' },
    input: [{ storage: 's3', path: 'flow/start' }],
    output: [{ storage: 's3', path: 'flow/middle' }],
  });
  const second = resolve('second', {
    container: { image: 'alpine', script: 'run.sh' },
    execution: 'batch',
    batch: net,
    input: [{ storage: 's3', path: 'flow/middle' }],
    output: [{ storage: 's3', path: 'results' }],
  });
  const compiled = compileService([shared, second], {
    imageUris: { second: 'built-by-the-framework@sha256:x' },
    managedRoles: new Set(['first']),
  });

  test('one bucket resource per bucket, holding the triggers of every function on it', () => {
    const flow = compiled.resources.S3BucketFlow!;
    const configs = (flow.Properties as { NotificationConfiguration: { LambdaConfigurations: unknown[] } })
      .NotificationConfiguration.LambdaConfigurations;
    assert.equal(configs.length, 2);
    assert.deepEqual(flow.DependsOn, ['FirstS3PermissionFlow', 'SecondS3PermissionFlow']);
    assert.ok(compiled.resources.S3BucketResults, 'output-only buckets are created too, as SCAR does');
  });

  test('a role only for functions without their own', () => {
    assert.ok(compiled.resources.FirstContainerRole);
    assert.equal(compiled.resources.SecondContainerRole, undefined);
  });

  test("the job definition runs the framework's resolved image", () => {
    const job = compiled.resources.SecondBatchJobDefinition!.Properties as {
      ContainerProperties: { Image: string };
    };
    assert.equal(job.ContainerProperties.Image, 'built-by-the-framework@sha256:x');
  });

  test('variables carry the bindings and the Batch targets', () => {
    assert.deepEqual(compiled.environment.second!.CONTINUUM_BATCH_JOB_QUEUE, { Ref: 'SecondBatchJobQueue' });
    assert.equal(compiled.environment.first!.CONTINUUM_BATCH_JOB_QUEUE, undefined);
    assert.equal(compiled.environment.first!.CONTINUUM_EXECUTION, 'lambda');
  });
});

describe('function roles', () => {
  const fn = resolve('thumb', {
    container: { image: 'alpine', script: 'run.sh' },
    input: [{ storage: 's3', path: 'bkt/in' }],
  });

  test("keep the statements and managed policies the user gave the framework's role, and VPC access when attached", () => {
    const extra = {
      Effect: 'Allow' as const,
      Action: ['dynamodb:GetItem'],
      Resource: ['arn:aws:dynamodb:us-east-1:1:table/t'],
    };
    const { resources } = compileService([fn], {
      imageUris: {},
      managedRoles: new Set(['thumb']),
      providerStatements: [extra],
      providerManagedPolicies: ['arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess'],
      vpcFunctions: new Set(['thumb']),
    });
    const role = resources.ThumbContainerRole!.Properties as {
      ManagedPolicyArns: unknown[];
      Policies: Array<{ PolicyDocument: { Statement: unknown[] } }>;
    };
    assert.deepEqual(role.Policies[0]!.PolicyDocument.Statement.at(-1), extra);
    assert.deepEqual(role.ManagedPolicyArns, [
      'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess',
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' },
    ]);
  });

  test('have no managed policies otherwise', () => {
    const { resources } = compileService([fn], { imageUris: {}, managedRoles: new Set(['thumb']) });
    assert.equal(
      (resources.ThumbContainerRole!.Properties as Record<string, unknown>).ManagedPolicyArns,
      undefined,
    );
  });
});

describe('environment size', () => {
  test('counts names and values in bytes, and an intrinsic as an ARN-sized value', () => {
    assert.equal(environmentSize({ AB: 'é', Q: { Ref: 'Queue' } }), 2 + 2 + 1 + 128);
  });
});
