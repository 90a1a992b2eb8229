// What the plugin changes in the service for its container functions before and after the framework compiles,
// as pure functions of the service config and the compiled template.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerlessFunctionConfig } from '@serverless-continuum/core/serverless';
import { resolveContainerFunction, type ContainerFunctionConfig } from '../src/config';
import { compileOptions, imageFunctions } from '../src/compile';

const dir = mkdtempSync(join(tmpdir(), 'container-image-functions-'));
writeFileSync(join(dir, 'run.sh'), 'true\n');
const resolve = (name: string, fn: ContainerFunctionConfig) =>
  resolveContainerFunction(name, fn, { serviceDir: dir, lambdaName: `svc-dev-${name}` });

describe('imageFunctions', () => {
  test('each container function gets its image, role, variables, retention and events; images to build join provider.ecr.images', () => {
    const built = { container: { image: 'grycap/imagemagick', script: 'run.sh' }, api: true };
    const mine = {
      container: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/tool@sha256:' + 'a'.repeat(64) },
      role: 'arn:aws:iam::123456789012:role/mine',
      logRetentionInDays: 7,
      events: [{ schedule: 'rate(1 hour)' }],
    };
    const functions: Record<string, ServerlessFunctionConfig> = { built, mine };
    const changes = imageFunctions([resolve('built', built), resolve('mine', mine)], {
      functions,
      provider: { name: 'aws', ecr: { images: { other: { uri: 'x' } } }, logRetentionInDays: 30 },
    });
    assert.deepEqual([...changes.managedRoles], ['built']);
    assert.deepEqual(changes.notices, [
      'functions.mine.role is set: its S3 and Batch permissions are yours to grant',
    ]);
    assert.deepEqual(changes.functions.built?.image, { name: 'built' });
    assert.equal(changes.functions.built?.role, 'BuiltContainerRole');
    assert.equal(changes.functions.built?.logRetentionInDays, 30);
    assert.deepEqual(changes.functions.built?.events, [{ http: { path: 'built', method: 'any' } }]);
    assert.ok(Object.keys(changes.functions.built?.environment ?? {}).length > 0);
    assert.equal(changes.functions.mine?.role, undefined);
    assert.equal(changes.functions.mine?.logRetentionInDays, 7);
    assert.deepEqual(changes.functions.mine?.events, [{ schedule: 'rate(1 hour)' }]);
    assert.deepEqual(changes.ecrImages, {
      other: { uri: 'x' },
      built: { path: '.serverless/container-lambda/built', platform: 'linux/amd64' },
    });
    assert.deepEqual(changes.apiGateway, { binaryMediaTypes: ['*/*'] });
    // Nothing is changed in place: the plugin applies the changes.
    assert.equal(built.api, true);
    assert.equal((functions.built as ServerlessFunctionConfig).image, undefined);
  });

  test('an image name already under provider.ecr.images is refused, naming that path', () => {
    const fn = { container: { image: 'alpine', script: 'run.sh' } };
    assert.throws(
      () =>
        imageFunctions([resolve('grayify', fn)], {
          functions: { grayify: fn },
          provider: { name: 'aws', ecr: { images: { grayify: { path: '.' } } } },
        }),
      { message: /^provider\.ecr\.images\.grayify: already defined; function grayify needs this name/ },
    );
  });
});

describe('compileOptions', () => {
  test('reads the compiled image uris, the provider role grants and the functions in a VPC', () => {
    const fn = resolve('grayify', { container: { image: 'alpine', script: 'run.sh' } });
    const statement = { Effect: 'Allow' as const, Action: ['sqs:SendMessage'], Resource: '*' };
    const options = compileOptions(
      [fn],
      {
        Resources: {
          GrayifyLambdaFunction: {
            Type: 'AWS::Lambda::Function',
            Properties: { Code: { ImageUri: 'uri@sha256:1' }, VpcConfig: { SubnetIds: ['s'] } },
          },
        },
      },
      { name: 'aws', iam: { role: { statements: [statement] } }, iamManagedPolicies: ['arn:policy'] },
      new Set(['grayify']),
    );
    assert.deepEqual(options, {
      imageUris: { grayify: 'uri@sha256:1' },
      managedRoles: new Set(['grayify']),
      providerStatements: [statement],
      providerManagedPolicies: ['arn:policy'],
      vpcFunctions: new Set(['grayify']),
    });
  });
});
