// The OSCAR FDL importer, on OSCAR's own example files (copied under test/fixtures/oscar-fdl) and on broken
// documents: every problem is reported at once, each with its path in the file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ConfigError } from '../src/errors';
import {
  importOscarFdl,
  importOscarFdlFile,
  quantityMiB,
  type OscarFunctionDefinition,
} from '../src/functions';

const FDL = 'custom.oscar.fdl';
const ROOT = resolve(__dirname, '..', '..', '..', 'test', 'fixtures');
const fdl = (name: string) => join(ROOT, 'oscar-fdl', name);

function importError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the import to fail');
}

function only(functions: OscarFunctionDefinition[], name: string): OscarFunctionDefinition {
  const fn = functions.find((f) => f.name === name);
  assert.ok(fn, `no service ${name} in ${functions.map((f) => f.name).join(', ')}`);
  return fn;
}

describe('OSCAR FDL import of the OSCAR examples', () => {
  test('imagemagick: image, script next to the FDL file, quantities, MinIO input and output', () => {
    const { functions, notices, storageProviders } = importOscarFdlFile(fdl('imagemagick.yaml'), {
      configPath: FDL,
    });
    assert.deepEqual(notices, []);
    assert.deepEqual(storageProviders, {});
    assert.deepEqual(functions, [
      {
        name: 'grayify',
        cluster: 'oscar-cluster',
        container: { image: 'grycap/imagemagick', script: fdl('grayify.sh') },
        memory: 1024,
        oscar: { memory: '1Gi', cpu: '1.0' },
        input: [{ storage: 'minio', path: 'grayify/in' }],
        output: [{ storage: 'minio', path: 'grayify/out' }],
        source: `${fdl('imagemagick.yaml')} functions.oscar[0].oscar-cluster`,
      },
    ]);
  });

  test('cowsay: log_level and environment.Variables (the spelling before OSCAR v3.4)', () => {
    const [cowsay] = importOscarFdlFile(fdl('cowsay.yaml'), { configPath: FDL }).functions;
    assert.deepEqual(cowsay?.container.environment, { INPUT_TYPE: 'json' });
    assert.equal(cowsay?.oscar.logLevel, 'CRITICAL');
  });

  test('secret-usage: environment.secrets become the service secrets', () => {
    const [fn] = importOscarFdlFile(fdl('secret-usage.yaml'), { configPath: FDL }).functions;
    assert.deepEqual(fn?.oscar.secrets, { COWSAY_SECRET: 'this-is-my-secret' });
    assert.deepEqual(fn?.container.environment, { INPUT_TYPE: 'json' });
  });

  test('mask-detector-workflow and the oscar-cli workflow: two chained services each', () => {
    const mask = importOscarFdlFile(fdl('mask-detector-workflow.yaml'), { configPath: FDL }).functions;
    assert.deepEqual(
      mask.map((f) => [f.name, f.input?.[0]?.path, f.output?.[0]?.path]),
      [
        ['anon-and-split', 'mask-detector/input', 'mask-detector/intermediate'],
        ['mask-detector', 'mask-detector/intermediate', 'mask-detector/result'],
      ],
    );
    const cli = importOscarFdlFile(fdl('oscar-cli-example-workflow.yaml'), { configPath: FDL }).functions;
    assert.deepEqual(
      cli.map((f) => [f.name, f.cluster, f.input?.[0]?.storage]),
      [
        ['plants', 'oscar-test', 'minio.default'],
        ['grayify', 'oscar-test', 'minio.default'],
      ],
    );
    assert.equal(only(cli, 'plants').memory, 2048);
  });

  test('fish-eu: replicas imported; the replica clusters and the unused MinIO account are said to be ignored', () => {
    const { functions, notices, storageProviders } = importOscarFdlFile(fdl('fish-eu.yaml'), {
      configPath: FDL,
    });
    assert.deepEqual(only(functions, 'fish-detector').oscar.replicas, [
      { type: 'oscar', clusterId: 'oscar-us', serviceName: 'fish-detector' },
    ]);
    assert.equal(only(functions, 'fish-detector').oscar.logLevel, 'DEBUG');
    assert.deepEqual(storageProviders, {});
    assert.ok(
      notices.some((n) => n.startsWith('clusters: ignored')),
      notices.join('\n'),
    );
    assert.ok(
      notices.some((n) => n.includes('storage_providers.minio.oscar-us: not used')),
      notices.join('\n'),
    );
  });

  test("SCAR's mask-detector workflow: its OSCAR part imports, the AWS part is left to container-lambda", () => {
    const file = join(ROOT, 'reference', 'scar', 'mask-detector-workflow__scar-mask-detector-workflow.yaml');
    const { functions, notices, storageProviders } = importOscarFdlFile(file, { configPath: FDL });
    assert.deepEqual(
      functions.map((f) => f.name),
      ['oscar-anon-and-split'],
    );
    assert.deepEqual(storageProviders, {
      s3: { my_s3: { accessKey: 'xxxxxx', secretKey: 'xxxxxx', region: 'us-east-1' } },
    });
    assert.ok(notices.some((n) => n.startsWith('functions.aws: 1 AWS function(s) not imported')));
  });
});

describe('OSCAR FDL import errors', () => {
  test('every problem at once, each with its path in the file and the setting that named it', () => {
    const error = importError(() =>
      importOscarFdl(
        {
          functions: {
            oscar: [
              {
                edge: {
                  name: 'Bad_Name',
                },
              },
              {
                edge: {
                  name: 'grayify',
                  memory: '2 GB',
                  enable_gpu: 'yes',
                  environment: { Variables: { 'NOT A NAME': 'x' } },
                  input: [{ storage_provider: 'ftp', path: 'in' }],
                  kserve: {},
                },
              },
              { a: {}, b: {} },
            ],
            gcp: [],
          },
          storage_providers: { minio: { other: { endpoint: 'http://minio' } } },
          extra: 1,
        },
        { file: 'services.yaml', configPath: FDL },
      ),
    );
    assert.equal(error.path, FDL);
    const lines = error.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
    assert.deepEqual(lines, [
      '- extra: not an OSCAR FDL key',
      '- functions.gcp: unknown provider (OSCAR FDL knows oscar, SCAR FDL aws)',
      '- functions.oscar[0].edge.name: required: an OSCAR service name (lowercase letters, digits and -)',
      '- functions.oscar[1].edge.memory: "2 GB" is not a Kubernetes quantity (e.g. 512Mi, 2Gi)',
      '- functions.oscar[1].edge.enable_gpu: must be true or false',
      '- functions.oscar[1].edge.environment.Variables.NOT A NAME: not a variable name',
      '- functions.oscar[1].edge.input[0].storage_provider: must be s3, minio or onedata, optionally .<id>',
      '- functions.oscar[1].edge.input[0].path: must be bucket[/prefix] with a valid S3 bucket name',
      '- functions.oscar[1].edge.input[0].storage_provider: required',
      '- functions.oscar[1].edge.input[0].path: required',
      '- functions.oscar[1].edge.kserve: not supported by the oscar-target plugin',
      '- functions.oscar[1].edge.image: required: the container image to run',
      '- functions.oscar[1].edge.script: required: the script OSCAR runs on every invocation',
      '- functions.oscar[2]: must be { <cluster id>: { name, image, script, ... } }',
    ]);
    assert.match(error.message, /^custom\.oscar\.fdl: services\.yaml cannot be imported as is:/);
  });

  test("a used storage account's missing settings, and a service defined twice", () => {
    const service = {
      image: 'grycap/imagemagick',
      script: 'a.sh',
      output: [{ storage_provider: 's3.backup', path: 'my-bucket/out' }],
    };
    const error = importError(() =>
      importOscarFdl(
        {
          functions: {
            oscar: [{ edge: { name: 'grayify', ...service } }, { cloud: { name: 'grayify', ...service } }],
          },
          storage_providers: { s3: { backup: { access_key: 'AKIA' } } },
        },
        { file: 'two.yaml', configPath: FDL },
      ),
    );
    assert.match(error.message, /- storage_providers\.s3\.backup\.secret_key: required/);
    assert.match(
      error.message,
      /- functions\.oscar\[1\]\.cloud\.name: "grayify" is also defined at functions\.oscar\[0\]\.edge/,
    );
    assert.doesNotMatch(error.message, /AKIA/);
  });

  test('an unreadable file names the setting', () => {
    const error = importError(() => importOscarFdlFile(fdl('missing.yaml'), { configPath: FDL }));
    assert.match(error.message, /^custom\.oscar\.fdl: cannot read .*missing\.yaml/);
  });
});

test('memory quantities in MiB for the shared model', () => {
  assert.equal(quantityMiB('1Gi'), 1024);
  assert.equal(quantityMiB('512Mi'), 512);
  assert.equal(quantityMiB('1G'), 954);
  assert.equal(quantityMiB('2 GB'), undefined);
});
