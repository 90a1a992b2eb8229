import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseEnvironment, readSettings } from '../../src/runtime/settings';

describe('supervisor settings', () => {
  test('reads the contract variables, and only the user variables CONTINUUM_USER_ENV names', () => {
    const settings = readSettings({
      CONTINUUM_FUNCTION: 'grayify',
      CONTINUUM_SCRIPT: '/opt/continuum/script.sh',
      CONTINUUM_INPUTS: JSON.stringify([{ storage: 's3', bucket: 'b', prefix: '/in/', suffix: ['.jpg'] }]),
      CONTINUUM_OUTPUTS: JSON.stringify([{ storage: 's3', bucket: 'b', prefix: 'out', suffix: [] }]),
      CONTINUUM_EXECUTION: 'lambda-batch',
      CONTINUUM_FALLBACK_INPUT_BYTES: '1000',
      CONTINUUM_GPU: '1',
      CONTINUUM_USER_ENV: 'QUALITY,MISSING',
      QUALITY: '90',
      SECRET_NOT_LISTED: 'x',
    });
    assert.equal(settings.functionName, 'grayify');
    assert.deepEqual(settings.inputs, [{ storage: 's3', bucket: 'b', prefix: 'in', suffix: ['.jpg'] }]);
    assert.equal(settings.execution, 'lambda-batch');
    assert.equal(settings.mode, 'lambda');
    assert.equal(settings.fallbackInputBytes, 1000);
    assert.equal(settings.gpu, 1);
    assert.deepEqual(settings.userEnvironment, { QUALITY: '90' });
  });

  test('a malformed variable fails naming it', () => {
    assert.throws(() => readSettings({ CONTINUUM_INPUTS: '{nope' }), {
      code: 'CONTINUUM_INVALID_CONFIG',
      message: 'environment variable CONTINUUM_INPUTS: must be a JSON array of storage bindings',
    });
    assert.throws(() => readSettings({ CONTINUUM_EXECUTION: 'fargate' }), {
      message:
        'environment variable CONTINUUM_EXECUTION: must be one of lambda, batch, lambda-batch, got "fargate"',
    });
  });

  test('after each run the whole sandbox is swept unless CONTINUUM_PROCESS_SCOPE narrows it to descendants', () => {
    assert.equal(readSettings({}).processScope, 'sandbox');
    assert.equal(readSettings({ CONTINUUM_PROCESS_SCOPE: 'descendants' }).processScope, 'descendants');
    assert.throws(() => readSettings({ CONTINUUM_PROCESS_SCOPE: 'none' }), {
      message:
        'environment variable CONTINUUM_PROCESS_SCOPE: must be one of sandbox, descendants, got "none"',
    });
  });

  test('scripts get PATH, HOME and LANG basics but never the credentials of the runtime', () => {
    const base = baseEnvironment(
      {
        PATH: '/bin',
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 's',
        AWS_SESSION_TOKEN: 't',
        AWS_REGION: 'eu-west-1',
      },
      '/tmp',
    );
    assert.deepEqual(base, { PATH: '/bin', HOME: '/tmp', LANG: 'C.UTF-8', AWS_REGION: 'eu-west-1' });
  });

  test("the supervisor's own library folder is kept out of the script's LD_LIBRARY_PATH", () => {
    assert.equal(
      baseEnvironment({ LD_LIBRARY_PATH: '/opt/continuum/lib' }, '/tmp').LD_LIBRARY_PATH,
      undefined,
    );
    assert.equal(
      baseEnvironment({ LD_LIBRARY_PATH: '/opt/continuum/lib:/usr/local/lib' }, '/tmp').LD_LIBRARY_PATH,
      '/usr/local/lib',
    );
  });
});
