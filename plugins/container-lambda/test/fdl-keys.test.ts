// SCAR keys through the plugin's own steps: the imported entry, the resolved function, the build context.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importScarFdl } from '@serverless-continuum/core/functions';
import { dockerfile } from '../src/build-context';
import { fdlFunctionConfig, resolveContainerFunction } from '../src/config';

const dir = mkdtempSync(join(tmpdir(), 'container-fdl-keys-'));
writeFileSync(join(dir, 'run.sh'), 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"\n');
const ACCESS_POINT = 'arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0';

function imported(lambda: Record<string, unknown>, beside: Record<string, unknown> = {}) {
  const { functions } = importScarFdl(
    { functions: { aws: [{ lambda: { name: 'f', ...lambda }, ...beside }] } },
    { file: join(dir, 'scar.yaml'), configPath: 'custom.containerLambda.fdl' },
  );
  return fdlFunctionConfig(functions[0]!);
}

describe('SCAR keys in the plugin', () => {
  test('container.alpine builds on the musl Node.js, as SCAR picks its alpine supervisor', () => {
    const config = imported({
      init_script: 'run.sh',
      container: { image: 'grycap/imagemagick:alpine', alpine: true },
    });
    assert.deepEqual(config.container, {
      image: 'grycap/imagemagick:alpine',
      script: join(dir, 'run.sh'),
      alpine: true,
    });
    const fn = resolveContainerFunction('f', config, { serviceDir: dir });
    assert.equal(fn.alpine, true);
    assert.match(dockerfile(fn), /^FROM --platform=linux\/amd64 node:20-alpine AS continuum-node$/m);
  });

  test('the entry uses the framework’s own keys: fileSystemConfig, role, description, api method', () => {
    const config = imported(
      {
        init_script: 'run.sh',
        description: 'd',
        container: { image: 'alpine' },
        vpc: { SubnetIds: ['subnet-0123abcd'], SecurityGroupIds: ['sg-0123abcd'] },
        file_system: [{ Arn: ACCESS_POINT, LocalMountPath: '/mnt/data' }],
      },
      { iam: { role: 'arn:aws:iam::123456789012:role/lab' }, api_gateway: { http_method: 'GET' } },
    );
    assert.deepEqual(config.fileSystemConfig, { arn: ACCESS_POINT, localMountPath: '/mnt/data' });
    assert.equal(config.role, 'arn:aws:iam::123456789012:role/lab');
    assert.equal(config.description, 'd');
    assert.deepEqual(config.api, { method: 'GET' });
    const fn = resolveContainerFunction('f', config, { serviceDir: dir });
    assert.equal(fn.apiMethod, 'GET');
    assert.deepEqual(fn.fileSystem, { arn: ACCESS_POINT, localMountPath: '/mnt/data' });
  });
});

describe('outputs to a MinIO server', () => {
  const minioOutput = {
    container: {
      image: 'alpine',
      script: 'run.sh',
      secrets: { MINIO_LAB_ACCESS_KEY: '/lab/access', MINIO_LAB_SECRET_KEY: '/lab/secret' },
    },
    output: [{ storage: 'minio.lab', path: 'results/gray' }],
  };
  const servers = { minio: { lab: { endpoint: 'https://minio.lab.example' } } };

  test('take the server of custom.containerLambda.storageProviders, its keys from the secrets', () => {
    const fn = resolveContainerFunction('f', minioOutput, { serviceDir: dir, storageProviders: servers });
    assert.deepEqual(fn.storageAccounts, { minio: { lab: { endpoint: 'https://minio.lab.example' } } });
  });

  test('without the server, or without its two secrets, fail naming the path and the fix', () => {
    assert.throws(() => resolveContainerFunction('f', minioOutput, { serviceDir: dir }), {
      message:
        'functions.f.output[0].storage: minio.lab names no minio account (describe it in custom.containerLambda.storageProviders.minio.lab: { endpoint: https://... })',
    });
    assert.throws(
      () =>
        resolveContainerFunction(
          'f',
          {
            ...minioOutput,
            container: {
              image: 'alpine',
              script: 'run.sh',
              secrets: { MINIO_LAB_ACCESS_KEY: '/lab/access' },
            },
          },
          { serviceDir: dir, storageProviders: servers },
        ),
      {
        message:
          'functions.f.container.secrets: MINIO_LAB_SECRET_KEY required: output[0] writes to minio.lab, whose credentials it holds (store them in SSM Parameter Store or Secrets Manager and name them here, never their values)',
      },
    );
  });
});
