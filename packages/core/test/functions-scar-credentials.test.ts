// Storage credentials in a SCAR FDL file: an account an AWS function would use is refused with a hint at
// `container.secrets`; its values are never repeated. Accounts only the OSCAR part uses are not read at all.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ConfigError } from '../src/errors';
import { importScarFdl, importScarFdlFile } from '../src/functions';

/** The setting that names the FDL file in these tests' services: container-lambda's. */
const FDL = 'custom.containerLambda.fdl';

const SCAR = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'reference', 'scar');

function importError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the import to fail');
}

function fdl(providers: unknown, storage = 's3.lab') {
  return {
    functions: {
      aws: [
        {
          lambda: {
            name: 'thumbs',
            container: { image: 'grycap/imagemagick' },
            input: [{ storage_provider: storage, path: 'lab-bucket/in' }],
            output: [{ storage_provider: 's3', path: 'lab-bucket/out' }],
          },
        },
      ],
    },
    storage_providers: providers,
  };
}

const HINT =
  'the function reads and writes S3 with its own IAM role; credentials the script itself needs belong in SSM Parameter Store or Secrets Manager, named in container.secrets';

describe('SCAR FDL storage credentials', () => {
  test('an S3 account with keys that a function uses is refused, naming the file, each key and the hint', () => {
    const error = importError(() =>
      importScarFdl(
        fdl({
          s3: { lab: { access_key: 'AKIAEXAMPLE', secret_key: 'wJalrEXAMPLEKEY', region: 'us-east-1' } },
        }),
        { file: 'lab/scar.yaml', configPath: FDL },
      ),
    );
    assert.equal(error.path, 'custom.containerLambda.fdl');
    assert.equal(
      error.message,
      'custom.containerLambda.fdl: lab/scar.yaml cannot be imported as is:\n' +
        `  - storage_providers.s3.lab.access_key, storage_providers.s3.lab.secret_key: storage credentials are not taken from an FDL file (functions.aws[0].lambda.input[0].storage_provider uses this account): ${HINT}`,
    );
    assert.doesNotMatch(error.message, /AKIAEXAMPLE|wJalrEXAMPLEKEY/);
  });

  test('passwords, tokens and session keys are credentials too', () => {
    const error = importError(() =>
      importScarFdl(
        fdl({
          s3: { lab: { password: 'p4ss', token: 't0k', aws_session_token: 's3ss', region: 'eu-west-1' } },
        }),
        { file: 'scar.yaml', configPath: FDL },
      ),
    );
    assert.match(
      error.message,
      /storage_providers\.s3\.lab\.password, storage_providers\.s3\.lab\.token, storage_providers\.s3\.lab\.aws_session_token: storage credentials are not taken from an FDL file/,
    );
    assert.doesNotMatch(error.message, /p4ss|t0k|s3ss/);
  });

  test('plain s3 uses storage_providers.s3.default: credentials there are refused as well', () => {
    const error = importError(() =>
      importScarFdl(fdl({ s3: { default: { secret_key: 'hidden' } } }, 's3'), {
        file: 'scar.yaml',
        configPath: FDL,
      }),
    );
    assert.match(
      error.message,
      /storage_providers\.s3\.default\.secret_key: storage credentials are not taken from an FDL file \(functions\.aws\[0\]\.lambda\.input\[0\]\.storage_provider uses this account\)/,
    );
  });

  test('an account without credentials (a region only) is fine', () => {
    const { functions } = importScarFdl(fdl({ s3: { lab: { region: 'us-east-1' } } }), {
      file: 'scar.yaml',
      configPath: FDL,
    });
    assert.equal(functions.length, 1);
  });

  test("SCAR's full example: its S3 keys are refused with the hint, and no value appears", () => {
    const error = importError(() => importScarFdlFile(join(SCAR, 'fdl-example.yaml'), { configPath: FDL }));
    assert.ok(
      error.message.includes(
        `storage_providers.s3.my_s3.access_key, storage_providers.s3.my_s3.secret_key: storage credentials are not taken from an FDL file (functions.aws[0].lambda.output[0].storage_provider uses this account): ${HINT}`,
      ),
      error.message,
    );
    assert.doesNotMatch(error.message, /awsuser|awskey|mpass|mytoken/);
  });

  test('a SCAR + OSCAR workflow whose keys serve only the OSCAR part imports: those keys are not read', () => {
    const { functions } = importScarFdlFile(
      join(SCAR, 'mask-detector-workflow__scar-mask-detector-workflow.yaml'),
      { configPath: FDL },
    );
    assert.deepEqual(
      functions.map((fn) => fn.name),
      ['scar-mask-detector'],
    );
    assert.doesNotMatch(JSON.stringify(functions), /xxxxxx/);
  });
});

describe('SCAR FDL secrets', () => {
  test('lambda.container.secrets (an extension of SCAR FDL) names the secrets of an imported function', () => {
    const document = fdl({});
    const lambda = (document.functions.aws[0] as { lambda: Record<string, unknown> }).lambda;
    lambda.container = { image: 'grycap/imagemagick', secrets: { DB_PASSWORD: '/lab/db/password' } };
    lambda.input = [{ storage_provider: 's3', path: 'lab-bucket/in' }];
    const { functions } = importScarFdl(document, { file: 'scar.yaml', configPath: FDL });
    assert.deepEqual(functions[0]?.container.secrets, { DB_PASSWORD: '/lab/db/password' });
  });

  test('lambda.container.secrets must map variable names to references', () => {
    const document = fdl({});
    const lambda = (document.functions.aws[0] as { lambda: Record<string, unknown> }).lambda;
    lambda.container = { image: 'grycap/imagemagick', secrets: { 'not a name': '/x', OK: 42 } };
    lambda.input = [{ storage_provider: 's3', path: 'lab-bucket/in' }];
    const error = importError(() => importScarFdl(document, { file: 'scar.yaml', configPath: FDL }));
    assert.match(
      error.message,
      /functions\.aws\[0\]\.lambda\.container\.secrets\.not a name: not a variable name/,
    );
    assert.match(
      error.message,
      /functions\.aws\[0\]\.lambda\.container\.secrets\.OK: must be an SSM parameter name or ARN, or a Secrets Manager ARN/,
    );
  });
});
