// The SCAR FDL importer, on SCAR's own example files (copied under test/fixtures/reference/scar).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ConfigError } from '../src/errors';
import {
  importScarFdl,
  importScarFdlFile,
  outputCanTriggerInput,
  resolveBinding,
  type FunctionDefinition,
} from '../src/functions';

/** The setting that names the FDL file in these tests' services: container-lambda's. */
const FDL = 'custom.containerLambda.fdl';

const SCAR = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'reference', 'scar');
const fdl = (name: string) => join(SCAR, name);

function importError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the import to fail');
}

/** The definitions without `source` (asserted on its own below). */
function defs(functions: FunctionDefinition[]): FunctionDefinition[] {
  return functions.map(({ source: _source, ...fn }) => fn);
}

function only(functions: FunctionDefinition[], name: string): FunctionDefinition {
  const fn = functions.find((f) => f.name === name);
  assert.ok(fn, `no function ${name} in ${functions.map((f) => f.name).join(', ')}`);
  return fn;
}

describe('SCAR FDL import', () => {
  test('imports an S3-triggered function: image, init_script next to the FDL file, input and output', () => {
    const { functions, notices } = importScarFdlFile(fdl('imagemagick__scar-imagemagick.yaml'), {
      configPath: FDL,
    });
    assert.equal(
      functions[0]?.source,
      `${fdl('imagemagick__scar-imagemagick.yaml')} functions.aws[0].lambda`,
    );
    assert.deepEqual(defs(functions), [
      {
        name: 'scar-imagemagick',
        container: { image: 'grycap/imagemagick', script: join(SCAR, 'grayify-image.sh') },
        input: [{ storage: 's3', path: 'scar-imagemagick/input' }],
        output: [{ storage: 's3', path: 'scar-imagemagick/output' }],
      },
    ]);
    assert.deepEqual(notices, []);
  });

  test('maps memory to MiB and api_gateway to an HTTP endpoint', () => {
    const { functions, notices } = importScarFdlFile(fdl('darknet__scar-darknet-api-s3.yaml'), {
      configPath: FDL,
    });
    const fn = only(functions, 'scar-darknet-api-s3');
    assert.equal(fn.memory, 2048);
    assert.equal(fn.api, true);
    assert.equal(fn.input, undefined);
    assert.deepEqual(fn.output, [{ storage: 's3', path: 'scar-darknet/output' }]);
    assert.match(
      notices.join('\n'),
      /api_gateway\.name: the endpoint is the service's REST API, route \/scar-darknet-api-s3/,
    );
  });

  test('maps execution modes, output suffixes and batch.enable_gpu / compute_resources', () => {
    const { functions } = importScarFdlFile(fdl('av-workflow__scar-av-workflow.yaml'), { configPath: FDL });
    assert.deepEqual(
      functions.map((f) => [f.name, f.execution]),
      [
        ['scar-av-workflow-ffmpeg', 'lambda-batch'],
        ['scar-av-workflow-audio2srt', 'lambda-batch'],
        ['scar-av-workflow-yolov3', 'batch'],
      ],
    );
    assert.deepEqual(only(functions, 'scar-av-workflow-ffmpeg').output, [
      { storage: 's3', path: 'scar-av-workflow/video', suffix: ['avi'] },
      { storage: 's3', path: 'scar-av-workflow/audio', suffix: ['wav'] },
    ]);
    assert.deepEqual(only(functions, 'scar-av-workflow-yolov3').batch, {
      vcpus: 4,
      memory: 12288,
      gpu: 1,
      maxVcpus: 12,
      instanceTypes: ['g3s.xlarge'],
    });
  });

  test('reads the legacy layout with the image right under lambda, and ignores unused storage providers', () => {
    const { functions, notices } = importScarFdlFile(fdl('video-process.yaml'), { configPath: FDL });
    assert.deepEqual(
      functions.map((f) => [f.name, f.container.image]),
      [
        ['scar-batch-ffmpeg-split', 'grycap/ffmpeg'],
        ['scar-lambda-darknet', 'grycap/darknet'],
      ],
    );
    assert.match(notices.join('\n'), /log_level: ignored/);
    assert.match(notices.join('\n'), /storage_providers\.minio: not used by the AWS functions, ignored/);
    assert.match(
      notices.join('\n'),
      /storage_providers\.s3: the account of plain "s3", used by scar-batch-ffmpeg-split and scar-lambda-darknet; they reach S3 through their own IAM role, so its settings are not read/,
    );
    assert.doesNotMatch(notices.join('\n'), /storage_providers\.s3[^\n]*not used/);
  });

  test('imports the AWS part of a SCAR + OSCAR workflow and says the OSCAR part is for oscar-target', () => {
    const { functions, notices } = importScarFdlFile(
      fdl('mask-detector-workflow__scar-mask-detector-workflow.yaml'),
      { configPath: FDL },
    );
    assert.deepEqual(
      functions.map((f) => f.name),
      ['scar-mask-detector'],
    );
    assert.match(
      notices.join('\n'),
      /functions\.oscar: 1 OSCAR service\(s\) not imported: the OSCAR part is for the oscar-target plugin/,
    );
  });

  test('imports a function with no script (the script is then required only where an image is built)', () => {
    const { functions } = importScarFdlFile(fdl('cowsay__scar-cowsay.yaml'), { configPath: FDL });
    assert.deepEqual(defs(functions), [{ name: 'scar-cowsay', container: { image: 'grycap/cowsay' } }]);
  });

  test('names the setting its caller says pointed at the file, whichever plugin that is', () => {
    const unreadable = importError(() =>
      importScarFdlFile(fdl('no-such-file.yaml'), { configPath: 'custom.other.fdl' }),
    );
    assert.equal(unreadable.path, 'custom.other.fdl');
    const refused = importError(() =>
      importScarFdl({ functions: {} }, { file: 'x.yaml', configPath: 'custom.other.fdl' }),
    );
    assert.equal(refused.path, 'custom.other.fdl');
    assert.match(refused.message, /^custom\.other\.fdl: x\.yaml cannot be imported as is:/);
    assert.throws(() => importScarFdl([], { file: 'x.yaml', configPath: 'custom.other.fdl' }), {
      message: 'custom.other.fdl: x.yaml is not a SCAR FDL document',
    });
  });

  test('takes multi-node parallel (MPI) Batch jobs; refuses the placeholder image unless the image is given prebuilt', () => {
    // Issue 15 turned this around: mpi__batch.yaml was refused for its multi_node_parallel; now only its
    // placeholder image is, and a prebuilt image given by the service replaces it (see functions-scar-batch).
    const error = importError(() => importScarFdlFile(fdl('mpi__batch.yaml'), { configPath: FDL }));
    assert.equal(error.path, 'custom.containerLambda.fdl');
    assert.doesNotMatch(error.message, /multi_node_parallel/);
    assert.match(
      error.message,
      /functions\.aws\[0\]\.lambda\.container\.image: "<DockerHub repo\/image>" is not an image name/,
    );
  });

  test('lists every key of the full SCAR example that cannot be honoured, and no secret values', () => {
    const error = importError(() => importScarFdlFile(fdl('fdl-example.yaml'), { configPath: FDL }));
    const message = error.message;
    for (const fragment of [
      'functions.aws[0].lambda.input[0].storage_provider: minio.my_minio is not supported on AWS',
      'storage_providers.s3.my_s3.access_key, storage_providers.s3.my_s3.secret_key: storage credentials are not taken from an FDL file (functions.aws[0].lambda.output[0].storage_provider uses this account)',
      // The example's `arn:...` placeholders: an existing role or instance profile must be named.
      'functions.aws[0].batch.service_role: must be the ARN of an existing IAM role (arn:aws:iam::<account>:role/<name>)',
      'functions.aws[0].batch.compute_resources.instance_role: must be the ARN of an existing IAM instance-profile or role (arn:aws:iam::<account>:instance-profile/<name> or arn:aws:iam::<account>:role/<name>)',
    ]) {
      assert.ok(message.includes(fragment), `missing "${fragment}" in:\n${message}`);
    }
    // Batch's own variables are taken now (issue 15).
    assert.doesNotMatch(message, /batch\.environment/);
    assert.doesNotMatch(message, /awskey|mpass|mytoken/);
  });

  test("takes SCAR's image runtime and a prepared image as they are, and says why deployment, preheat and a zip runtime are ignored", () => {
    const { functions, notices } = importScarFdl(
      {
        functions: {
          aws: [
            {
              lambda: {
                name: 'f',
                runtime: 'image',
                container: { image: 'grycap/cowsay', create_image: false },
                deployment: { bucket: 'scar-deployments', max_payload_size: 52428800 },
                preheat: true,
              },
            },
            { lambda: { name: 'g', runtime: 'python3.9', container: { image: 'alpine' } } },
          ],
        },
      },
      { file: 'scar.yaml', configPath: FDL },
    );
    assert.deepEqual(
      functions.map((f) => [f.name, f.container.image]),
      [
        ['f', 'grycap/cowsay'],
        ['g', 'alpine'],
      ],
    );
    assert.deepEqual(notices, [
      'functions.aws[0].lambda.deployment.bucket: ignored (SCAR uploads its zip there; an image function has no zip, and the framework keeps its files in its own deployment bucket, provider.deploymentBucket)',
      "functions.aws[0].lambda.deployment.max_payload_size: ignored (a limit on SCAR's zip; an image function has none, its image may be up to 10 GB)",
      'functions.aws[0].lambda.preheat: ignored (SCAR invoked the function once after deploying it: sls invoke does that)',
      "functions.aws[1].lambda.runtime: ignored (SCAR's python3.9 zip carries its supervisor; here the function is its container image, with the plugin's supervisor)",
    ]);
  });

  test('refuses what cannot work here and says what to do: an image file, an image to build, an extra payload', () => {
    const error = importError(() =>
      importScarFdl(
        {
          functions: {
            aws: [
              {
                lambda: {
                  name: 'f',
                  container: { image: 'grycap/cowsay', image_file: 'cowsay.tar.gz', create_image: true },
                  extra_payload: 'extra/',
                },
              },
            ],
          },
        },
        { file: 'scar.yaml', configPath: FDL },
      ),
    );
    for (const fragment of [
      'functions.aws[0].lambda.container.image_file: not supported: load the image into a registry Lambda can pull from (docker load, docker push) and name it in container.image',
      'functions.aws[0].lambda.container.create_image: not supported: the plugin builds no image from SCAR settings',
      'functions.aws[0].lambda.extra_payload: not supported: a container-image function takes no extra zip payload; copy those files into the image',
    ]) {
      assert.ok(error.message.includes(fragment), `missing "${fragment}" in:\n${error.message}`);
    }
  });

  test('rejects a function whose region is not the service region', () => {
    const error = importError(() =>
      importScarFdl(
        {
          functions: {
            aws: [{ lambda: { name: 'f', region: 'eu-west-1', container: { image: 'alpine' } } }],
          },
        },
        { file: 'scar.yaml', region: 'us-east-1', configPath: FDL },
      ),
    );
    assert.match(
      error.message,
      /functions\.aws\[0\]\.lambda\.region: "eu-west-1" differs from the service's region us-east-1/,
    );
  });

  test('takes a log retention CloudWatch offers, and refuses one it does not, naming the path', () => {
    const withRetention = (days: unknown) => ({
      functions: {
        aws: [
          {
            lambda: { name: 'f', container: { image: 'alpine' } },
            cloudwatch: { log_retention_policy_in_days: days },
          },
        ],
      },
    });
    const { functions } = importScarFdl(withRetention(60), { file: 'scar.yaml', configPath: FDL });
    assert.equal(functions[0]?.logRetentionInDays, 60);
    const error = importError(() => importScarFdl(withRetention(45), { file: 'scar.yaml', configPath: FDL }));
    assert.match(
      error.message,
      /functions\.aws\[0\]\.cloudwatch\.log_retention_policy_in_days: 45 is not a retention CloudWatch offers \(1, 3, 5, 7, 14, 30, .*, 3653 days\)/,
    );
  });

  test('maps environment.Variables: the container ones to the script, the lambda ones to the function', () => {
    const { functions } = importScarFdl(
      {
        functions: {
          aws: [
            {
              lambda: {
                name: 'f',
                environment: { Variables: { LAMBDA_ONLY: 1 } },
                container: {
                  image: 'alpine',
                  environment: { Variables: { QUALITY: '90' } },
                  timeout_threshold: 20,
                },
              },
            },
          ],
        },
      },
      { file: '/srv/scar.yaml', configPath: FDL },
    );
    assert.deepEqual(defs(functions)[0], {
      name: 'f',
      container: { image: 'alpine', environment: { QUALITY: '90' } },
      functionEnvironment: { LAMBDA_ONLY: '1' },
      batch: { fallback: { deadlineMarginSeconds: 20 } },
    });
  });

  test('plain s3 uses storage_providers.s3.default, as SCAR does: only the other accounts are not used', () => {
    const { notices } = importScarFdl(
      {
        functions: {
          aws: [
            {
              lambda: {
                name: 'f',
                container: { image: 'alpine' },
                input: [{ storage_provider: 's3', path: 'bkt/in' }],
                output: [{ storage_provider: 's3.default', path: 'bkt/out' }],
              },
            },
          ],
        },
        storage_providers: {
          s3: { default: { region: 'us-east-1' }, other: { region: 'eu-west-1' } },
          minio: { my_minio: { endpoint: 'https://minio.example' } },
        },
      },
      { file: 's.yaml', configPath: FDL },
    );
    assert.deepEqual(notices, [
      'storage_providers.s3.default: the account of plain "s3", used by f; it reaches S3 through its own IAM role, so its settings are not read',
      'storage_providers.s3.other, storage_providers.minio.my_minio: not used by the AWS functions, ignored',
    ]);
  });

  test('access keys in storage_providers.s3.default are refused when plain s3 uses that account', () => {
    const error = importError(() =>
      importScarFdl(
        {
          functions: {
            aws: [
              {
                lambda: {
                  name: 'f',
                  container: { image: 'alpine' },
                  input: [{ storage_provider: 's3', path: 'bkt/in' }],
                },
              },
            ],
          },
          storage_providers: { s3: { default: { access_key: 'AKIA', secret_key: 'hidden' } } },
        },
        { file: 's.yaml', configPath: FDL },
      ),
    );
    assert.match(
      error.message,
      /storage_providers\.s3\.default\.access_key, storage_providers\.s3\.default\.secret_key: storage credentials are not taken from an FDL file \(functions\.aws\[0\]\.lambda\.input\[0\]\.storage_provider uses this account\)/,
    );
    assert.doesNotMatch(error.message, /hidden/);
  });

  test('rejects keys SCAR does not know, with their path', () => {
    const error = importError(() =>
      importScarFdl(
        { functions: { aws: [{ lambda: { name: 'f', image: 'x', handler: 'h' } }] }, extra: 1 },
        { file: 's.yaml', configPath: FDL },
      ),
    );
    assert.match(error.message, /extra: not a SCAR FDL key/);
    assert.match(
      error.message,
      /functions\.aws\[0\]\.lambda\.handler: not supported by the container-lambda plugin/,
    );
  });
});

describe('storage bindings', () => {
  test('split bucket and prefix, without slashes at either end', () => {
    assert.deepEqual(resolveBinding({ storage: 's3', path: 'my-bucket/in/sub/', suffix: ['.jpg'] }, 'x'), {
      storage: 's3',
      bucket: 'my-bucket',
      prefix: 'in/sub',
      suffix: ['.jpg'],
      prefixFilter: [],
      existing: false,
    });
  });

  test('refuse .. in a prefix', () => {
    assert.throws(() => resolveBinding({ storage: 's3', path: 'b/in/../x' }, 'functions.f.input[0]'), {
      message: /functions\.f\.input\[0\]\.path: "b\/in\/\.\.\/x" has a \. or \.\. segment/,
    });
  });

  test('an output under the input prefix of the same bucket can trigger the input, unless suffixes keep them apart', () => {
    const b = (path: string, suffix: string[] = []) => resolveBinding({ storage: 's3', path, suffix }, 'x');
    assert.equal(outputCanTriggerInput(b('bkt'), b('bkt/out')), true);
    assert.equal(outputCanTriggerInput(b('bkt/in'), b('bkt/out')), false);
    assert.equal(outputCanTriggerInput(b('bkt/in'), b('bkt/in/out')), true);
    assert.equal(outputCanTriggerInput(b('bkt/in', ['.jpg']), b('bkt/in/out', ['.png'])), false);
    assert.equal(outputCanTriggerInput(b('bkt/in', ['.jpg']), b('bkt/in/out')), true);
    assert.equal(outputCanTriggerInput(b('bkt/in'), b('other/in')), false);
    assert.equal(outputCanTriggerInput(b('bkt/inbox'), b('bkt/in')), false);
  });
});
