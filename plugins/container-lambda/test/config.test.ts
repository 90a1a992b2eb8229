// The rules config.ts applies once to every container function, with the errors a user reads.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkTriggerOverlaps,
  fdlFunctionConfig,
  isPrebuiltImage,
  nonStringProperties,
  notificationRules,
  resolveContainerFunction,
  type ContainerFunctionConfig,
} from '../src/config';

const dir = mkdtempSync(join(tmpdir(), 'container-config-'));
writeFileSync(join(dir, 'run.sh'), 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"\n');
const DIGEST = `123456789012.dkr.ecr.us-east-1.amazonaws.com/repo@sha256:${'a'.repeat(64)}`;

function resolve(
  fn: ContainerFunctionConfig,
  options: Partial<Parameters<typeof resolveContainerFunction>[2]> = {},
) {
  return resolveContainerFunction('thumb', fn, { serviceDir: dir, ...options });
}

const base: ContainerFunctionConfig = { container: { image: 'grycap/imagemagick', script: 'run.sh' } };

describe('container function rules', () => {
  test('an ECR image pinned by digest is prebuilt; a tag or another registry is built', () => {
    assert.equal(isPrebuiltImage(DIGEST), true);
    assert.equal(isPrebuiltImage('123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:latest'), false);
    assert.equal(isPrebuiltImage('grycap/imagemagick'), false);
  });

  test('defaults: lambda execution, the script resolved in the service folder, no Batch', () => {
    const fn = resolve(base);
    assert.equal(fn.execution, 'lambda');
    assert.equal(fn.script, join(dir, 'run.sh'));
    assert.equal(fn.prebuilt, false);
    assert.equal(fn.batch, undefined);
    assert.equal(fn.architecture, 'x86_64');
  });

  test('a script is required when the image is built', () => {
    assert.throws(() => resolve({ container: { image: 'alpine' } }), {
      message: /^functions\.thumb\.container\.script: required to build the image/,
    });
    assert.equal(resolve({ container: { image: DIGEST } }).prebuilt, true);
  });

  test('an image or script that is not a string is a type error at its path', () => {
    assert.throws(() => resolve({ container: { image: 123, script: 'run.sh' } } as never), {
      message: /^functions\.thumb\.container\.image: must be a string, not the number 123 \(quote it\)$/,
    });
    assert.deepEqual(
      nonStringProperties({
        thumb: { container: { image: 123, script: true } },
        plain: { handler: 'index.handler' },
        quoted: { container: { image: '123', script: 'run.sh' } },
      }).map((error) => error.message),
      [
        'functions.thumb.container.image: must be a string, not the number 123 (quote it)',
        'functions.thumb.container.script: must be a string, not the boolean true (quote it)',
      ],
    );
  });

  test('a missing script file is named', () => {
    assert.throws(() => resolve({ container: { image: 'alpine', script: 'nope.sh' } }), {
      message: new RegExp(`^functions\\.thumb\\.container\\.script: file not found: ${join(dir, 'nope.sh')}`),
    });
  });

  test('handler or image next to container is refused', () => {
    assert.throws(() => resolve({ ...base, handler: 'index.handler' }), {
      message: /^functions\.thumb\.handler: remove it/,
    });
    assert.throws(() => resolve({ ...base, image: 'x' }), { message: /^functions\.thumb\.image: remove it/ });
  });

  test("the supervisor's variable names are reserved", () => {
    assert.throws(
      () =>
        resolve({ container: { image: 'alpine', script: 'run.sh', environment: { INPUT_FILE_PATH: 'x' } } }),
      {
        message: /^functions\.thumb\.container\.environment\.INPUT_FILE_PATH: reserved name/,
      },
    );
  });

  test('an output under the input prefix is a loop and is refused', () => {
    assert.throws(
      () =>
        resolve({
          ...base,
          input: [{ storage: 's3', path: 'bkt/data' }],
          output: [{ storage: 's3', path: 'bkt/data/out' }],
        }),
      {
        message:
          /^functions\.thumb\.input\[0\]\.path: bkt\/data would be triggered by this function's own output bkt\/data\/out \(output\[0\]\)/,
      },
    );
  });

  test('input and output may share a bucket on separate prefixes, or with suffixes that never match', () => {
    assert.doesNotThrow(() =>
      resolve({
        ...base,
        input: [{ storage: 's3', path: 'bkt/in' }],
        output: [{ storage: 's3', path: 'bkt/out' }],
      }),
    );
    assert.doesNotThrow(() =>
      resolve({
        ...base,
        input: [{ storage: 's3', path: 'bkt', suffix: ['.jpg'] }],
        output: [{ storage: 's3', path: 'bkt/out', suffix: ['.png'] }],
      }),
    );
  });

  test('batch needs subnets and security groups, from the function or custom.containerLambda.batch', () => {
    assert.throws(() => resolve({ ...base, execution: 'batch' }), {
      message:
        /^functions\.thumb\.batch\.subnets: required when execution is batch or lambda-batch \(SCAR needs them too/,
    });
    assert.throws(() => resolve({ ...base, execution: 'batch', batch: { subnets: ['subnet-1'] } }), {
      message: /^functions\.thumb\.batch\.securityGroupIds: required/,
    });
    const fn = resolve(
      { ...base, execution: 'lambda-batch', timeout: 300, batch: { gpu: 1 } },
      { batchDefaults: { subnets: ['subnet-1'], securityGroupIds: ['sg-1'], spot: true } },
    );
    assert.deepEqual(fn.batch, {
      vcpus: 1,
      memory: 2048,
      gpu: 1,
      instanceTypes: ['g4dn.xlarge'],
      spot: true,
      minVcpus: 0,
      maxVcpus: 16,
      desiredVcpus: undefined,
      subnets: ['subnet-1'],
      securityGroupIds: ['sg-1'],
      fallbackInputBytes: undefined,
    });
    assert.equal(fn.deadlineMarginSeconds, 10);
  });

  test('lambda-batch keeps a deadline margin the timeout can hold', () => {
    const net = { subnets: ['s'], securityGroupIds: ['g'] };
    const lb = (timeout: number | undefined, fallback?: { deadlineMarginSeconds: number }) =>
      resolve({
        ...base,
        execution: 'lambda-batch',
        timeout,
        batch: { ...net, ...(fallback ? { fallback } : {}) },
      });
    assert.equal(lb(300).deadlineMarginSeconds, 10);
    assert.equal(lb(undefined).deadlineMarginSeconds, 2, "a third of the framework's default 6 s");
    assert.throws(() => lb(30, { deadlineMarginSeconds: 30 }), {
      message:
        /^functions\.thumb\.batch\.fallback\.deadlineMarginSeconds: must be less than the function's timeout \(30 s\)/,
    });
  });

  test('a Lambda name over 64 characters is refused before deploy', () => {
    assert.throws(() => resolve(base, { lambdaName: `svc-dev-${'x'.repeat(60)}` }), {
      message:
        /^functions\.thumb\.name: the Lambda function name "svc-dev-x+" has 68 characters; AWS allows 64/,
    });
  });

  test('a GPU needs Batch', () => {
    assert.throws(() => resolve({ ...base, batch: { gpu: 1 } }), {
      message: /^functions\.thumb\.batch\.gpu: needs execution: batch or lambda-batch \(Lambda has no GPUs\)/,
    });
  });

  test('maxVcpus below vcpus could never place a job', () => {
    const net = { subnets: ['s'], securityGroupIds: ['g'] };
    assert.throws(() => resolve({ ...base, execution: 'batch', batch: { ...net, vcpus: 8, maxVcpus: 4 } }), {
      message: /^functions\.thumb\.batch\.maxVcpus: 4 is less than vcpus \(8\)/,
    });
  });

  test('custom.containerLambda.images must be digest-pinned ECR uris', () => {
    assert.throws(() => resolve(base, { prebuiltImage: 'grycap/imagemagick' }), {
      message:
        /^custom\.containerLambda\.images\.thumb: "grycap\/imagemagick" is not an ECR image uri pinned by digest/,
    });
    const fn = resolve(base, { prebuiltImage: DIGEST });
    assert.equal(fn.prebuilt, true);
    assert.equal(fn.imageUri, DIGEST);
    assert.equal(fn.image, 'grycap/imagemagick');
  });

  test('one S3 notification rule per prefix filter and suffix', () => {
    const fn = resolve({
      ...base,
      input: [{ storage: 's3', path: 'bkt/in', prefix: ['a-', 'b-'], suffix: ['.jpg', '.png'] }],
    });
    assert.deepEqual(notificationRules(fn.inputs[0]!), [
      { prefix: 'in/a-', suffix: '.jpg' },
      { prefix: 'in/a-', suffix: '.png' },
      { prefix: 'in/b-', suffix: '.jpg' },
      { prefix: 'in/b-', suffix: '.png' },
    ]);
  });

  test('two functions triggered by overlapping filters on one bucket are refused (S3 would reject them)', () => {
    const a = resolveContainerFunction(
      'a',
      { ...base, input: [{ storage: 's3', path: 'bkt/in' }] },
      { serviceDir: dir },
    );
    const b = resolveContainerFunction(
      'b',
      { ...base, input: [{ storage: 's3', path: 'bkt/in/sub' }] },
      { serviceDir: dir },
    );
    const c = resolveContainerFunction(
      'c',
      { ...base, input: [{ storage: 's3', path: 'bkt/other' }] },
      { serviceDir: dir },
    );
    assert.throws(() => checkTriggerOverlaps([a, b]), {
      message:
        /^functions\.b\.input\[0\]\.path: its trigger on bkt\/in\/sub\/\* overlaps functions\.a\.input\[0\]/,
    });
    assert.doesNotThrow(() => checkTriggerOverlaps([a, c]));
  });

  test('an FDL function is written as the functions entry a user would write', () => {
    assert.deepEqual(
      fdlFunctionConfig({
        name: 'f',
        container: { image: 'alpine', script: '/s.sh' },
        memory: 1024,
        timeout: 60,
        execution: 'lambda-batch',
        api: true,
        functionEnvironment: { A: '1' },
        logRetentionInDays: 30,
      }),
      {
        container: { image: 'alpine', script: '/s.sh' },
        memorySize: 1024,
        timeout: 60,
        execution: 'lambda-batch',
        api: true,
        environment: { A: '1' },
        logRetentionInDays: 30,
      },
    );
  });
});
