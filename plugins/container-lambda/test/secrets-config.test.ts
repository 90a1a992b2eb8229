// `container.secrets`: which references are taken, and the errors a user reads for the ones that are not.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveContainerFunction, type ContainerFunctionConfig } from '../src/config';

const dir = mkdtempSync(join(tmpdir(), 'container-secrets-'));
writeFileSync(join(dir, 'run.sh'), 'true\n');

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lab/db-AbCdEf';
const PARAMETER_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/shared/token';

function withSecrets(secrets: Record<string, string>, environment?: Record<string, string>) {
  const fn: ContainerFunctionConfig = {
    container: { image: 'alpine', script: 'run.sh', secrets, ...(environment ? { environment } : {}) },
  };
  return resolveContainerFunction('thumb', fn, { serviceDir: dir });
}

describe('container.secrets', () => {
  test('takes SSM parameter names (with or without a leading slash), SSM ARNs and Secrets Manager ARNs', () => {
    const fn = withSecrets({
      DB_PASSWORD: '/lab/db/password',
      API_KEY: 'api-key',
      TOKEN: PARAMETER_ARN,
      DB: SECRET_ARN,
    });
    assert.deepEqual(fn.secrets, {
      DB_PASSWORD: { service: 'ssm', reference: '/lab/db/password', parameterPath: 'lab/db/password' },
      API_KEY: { service: 'ssm', reference: 'api-key', parameterPath: 'api-key' },
      TOKEN: { service: 'ssm', reference: PARAMETER_ARN, arn: PARAMETER_ARN, parameterPath: 'shared/token' },
      DB: { service: 'secretsmanager', reference: SECRET_ARN, arn: SECRET_ARN },
    });
    assert.deepEqual(fn.environment, {}, 'a secret is not a plain variable');
  });

  test('no secrets: an empty map', () => {
    assert.deepEqual(withSecrets({}).secrets, {});
  });

  test("a secret named like one of the supervisor's variables is refused, naming the path", () => {
    for (const name of ['INPUT_FILE_PATH', 'TMP_OUTPUT_DIR', 'CONTINUUM_SECRETS', 'AWS_SECRET_ACCESS_KEY']) {
      assert.throws(() => withSecrets({ [name]: '/lab/x' }), {
        name: 'ConfigError',
        message: new RegExp(`^functions\\.thumb\\.container\\.secrets\\.${name}: reserved name`),
      });
    }
  });

  test("a secret named CONT_VAR_* is refused: an HTTP call's query parameters would override it", () => {
    assert.throws(() => withSecrets({ CONT_VAR_user: '/lab/x' }), {
      message: /^functions\.thumb\.container\.secrets\.CONT_VAR_user: reserved name \(HTTP query parameters/,
    });
  });

  test('a secret that is also in container.environment is refused, naming both', () => {
    assert.throws(() => withSecrets({ DB_PASSWORD: '/lab/db' }, { DB_PASSWORD: 'plain' }), {
      name: 'ConfigError',
      message:
        /^functions\.thumb\.container\.secrets\.DB_PASSWORD: also set in functions\.thumb\.container\.environment\.DB_PASSWORD/,
    });
  });

  test('a value that is neither an SSM parameter nor a Secrets Manager ARN is refused, and not repeated', () => {
    for (const value of [
      's3://lab/keys.txt',
      'hunter2 with spaces!',
      'lab/db',
      '/aws/reference/secretsmanager/db',
      'arn:aws:s3:::lab/db',
      `${SECRET_ARN}:password::`,
      'arn:aws:ssm:us-east-1:123456789012:parameter/',
    ]) {
      assert.throws(
        () => withSecrets({ DB_PASSWORD: value }),
        (error: Error) => {
          assert.match(
            error.message,
            /^functions\.thumb\.container\.secrets\.DB_PASSWORD: not an SSM parameter name or ARN, nor a Secrets Manager secret ARN \(write an SSM parameter name/,
          );
          assert.ok(!error.message.includes(value), `the message repeats "${value}"`);
          return true;
        },
      );
    }
  });
});
