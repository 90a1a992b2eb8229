// The rules of `provider: oscar` a schema cannot say: function names, secrets, storage accounts, auth.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ConfigError } from '@serverless-continuum/core/errors';
import {
  clientOptions,
  lambdaKeyNotices,
  oscarOnlyKeys,
  resolveOscarFunction,
  type OscarFunctionConfig,
} from '../src/config';
import { options, plants, SERVICE_DIR } from './functions';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('a function on provider oscar', () => {
  test('resolves with the script content, the neutral bindings, and no storage account for the MinIO of the cluster', () => {
    const fn = resolveOscarFunction('plants', plants, options);
    assert.equal(fn.serviceName, 'plants');
    assert.equal(fn.scriptContent, 'echo plants\n');
    assert.equal(fn.script, resolve(SERVICE_DIR, 'plants.sh'));
    assert.deepEqual(
      fn.inputs.map((b) => [b.bucket, b.prefix]),
      [['plants', 'in']],
    );
    assert.deepEqual(fn.storageProviders, {});
  });

  test('is named as OSCAR names services (Kubernetes names)', () => {
    assert.equal(
      configError(() => resolveOscarFunction('Plants_1', plants, options)).path,
      'functions.Plants_1',
    );
  });

  test('needs a script: the OSCAR API requires one', () => {
    const error = configError(() =>
      resolveOscarFunction('plants', { ...plants, container: { image: 'a/b' } }, options),
    );
    assert.equal(error.path, 'functions.plants.container.script');
  });

  test('takes secret values under secrets, and refuses AWS references under container.secrets', () => {
    const error = configError(() =>
      resolveOscarFunction(
        'plants',
        { ...plants, container: { ...plants.container!, secrets: { KEY: '/plants/key' } } },
        options,
      ),
    );
    assert.equal(error.path, 'functions.plants.container.secrets.KEY');
    assert.match(error.message, /functions\.plants\.secrets/);
    const clash = configError(() =>
      resolveOscarFunction('plants', { ...plants, secrets: { THRESHOLD: 'x' } }, options),
    );
    assert.equal(clash.path, 'functions.plants.secrets.THRESHOLD');
    const reserved = configError(() =>
      resolveOscarFunction('plants', { ...plants, secrets: { INPUT_FILE_PATH: 'x' } }, options),
    );
    assert.equal(reserved.path, 'functions.plants.secrets.INPUT_FILE_PATH');
  });

  test("refuses the supervisor's variables in container.environment", () => {
    const error = configError(() =>
      resolveOscarFunction(
        'plants',
        { ...plants, container: { ...plants.container!, environment: { TMP_OUTPUT_DIR: '/x' } } },
        options,
      ),
    );
    assert.equal(error.path, 'functions.plants.container.environment.TMP_OUTPUT_DIR');
  });

  test('a binding on another storage names its account in custom.oscar.storageProviders, and only the used ones go along', () => {
    const withS3: OscarFunctionConfig = {
      ...plants,
      output: [{ storage: 's3.aws', path: 'my-bucket/from-oscar' }],
    };
    const error = configError(() => resolveOscarFunction('plants', withS3, options));
    assert.equal(error.path, 'functions.plants.output[0].storage');
    assert.match(error.message, /custom\.oscar\.storageProviders\.s3\.aws/);
    const aws = { accessKey: 'AKIA', secretKey: 'secret' };
    const fn = resolveOscarFunction('plants', withS3, {
      ...options,
      storageProviders: { s3: { aws, other: { accessKey: 'B', secretKey: 'C' } } },
    });
    assert.deepEqual(fn.storageProviders, { s3: { aws } });
  });

  test('allowedUsers needs visibility: restricted; minScale cannot exceed maxScale; replicas say where they go', () => {
    assert.equal(
      configError(() => resolveOscarFunction('plants', { ...plants, allowedUsers: ['u@egi.eu'] }, options))
        .path,
      'functions.plants.allowedUsers',
    );
    assert.equal(
      configError(() =>
        resolveOscarFunction('plants', { ...plants, synchronous: { minScale: 3, maxScale: 2 } }, options),
      ).path,
      'functions.plants.synchronous.minScale',
    );
    assert.equal(
      configError(() =>
        resolveOscarFunction('plants', { ...plants, replicas: [{ type: 'endpoint' }] }, options),
      ).path,
      'functions.plants.replicas[0].url',
    );
  });
});

describe('provider.auth', () => {
  const provider = { endpoint: 'https://oscar.example.org/' };
  test('each shape becomes the client auth; verifyTls defaults to true', () => {
    assert.deepEqual(clientOptions({ ...provider, auth: { username: 'oscar', password: 'pw' } }), {
      endpoint: 'https://oscar.example.org',
      auth: { kind: 'basic', username: 'oscar', password: 'pw' },
      verifyTls: true,
    });
    assert.deepEqual(clientOptions({ ...provider, auth: { token: 't' }, verifyTls: false }).auth, {
      kind: 'token',
      token: 't',
    });
    assert.deepEqual(
      clientOptions({
        ...provider,
        auth: { refreshToken: 'r', tokenEndpoint: 'https://aai/token', clientId: 'c' },
      }).auth,
      { kind: 'refresh', refreshToken: 'r', tokenEndpoint: 'https://aai/token', clientId: 'c' },
    );
    assert.equal(clientOptions({ ...provider, auth: { token: 't' }, timeout: 5 }).timeoutMs, 5000);
  });

  test('is needed only to reach the cluster, and then its absence names the path', () => {
    assert.equal(configError(() => clientOptions(provider)).path, 'provider.auth');
  });
});

test('the OSCAR-only keys of functions are found, for the message on another provider', () => {
  assert.deepEqual(oscarOnlyKeys({ a: { handler: 'x', cpu: '1', replicas: [] }, b: { handler: 'y' } }), [
    'functions.a.cpu',
    'functions.a.replicas',
  ]);
});

test("container-lambda's keys on OSCAR: memorySize stands in for memory, the others are explained", () => {
  const lambda: OscarFunctionConfig = {
    ...plants,
    memorySize: 2048,
    timeout: 60,
    execution: 'lambda-batch',
    api: true,
  };
  assert.equal(resolveOscarFunction('plants', lambda, options).config.memory, '2048Mi');
  assert.equal(resolveOscarFunction('plants', { ...lambda, memory: '1Gi' }, options).config.memory, '1Gi');
  assert.deepEqual(lambdaKeyNotices('plants', lambda), [
    'functions.plants.memorySize: on provider oscar, used as memory (MiB) since memory is not set',
    'functions.plants.timeout: on provider oscar, ignored: OSCAR services have no timeout',
    "functions.plants.execution: on provider oscar, ignored: OSCAR runs every job on the cluster (Lambda and AWS Batch are container-lambda's)",
    'functions.plants.api: on provider oscar, ignored: every OSCAR service answers on /run (sls invoke)',
  ]);
  assert.deepEqual(lambdaKeyNotices('plants', { ...plants, memorySize: 2048, memory: '1Gi' }), [
    'functions.plants.memorySize: on provider oscar, ignored (memory is set)',
  ]);
});
