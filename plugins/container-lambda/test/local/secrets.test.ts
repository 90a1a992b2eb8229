// Local runs (`sls container run --local`, `sls invoke local`) read no AWS secret: each secret's value is this
// machine's variable of the same name, and a missing one is an error naming the secret.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretsByService } from '../../src/runtime/contract';
import { invokeLocal, runLocal } from '../../src/local/run';
import { writeScript } from '../runtime/helpers/supervisor';

const SECRETS: SecretsByService = {
  ssm: { DB_PASSWORD: '/lab/db/password' },
  secretsmanager: { LICENSE: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:license-AbCdEf' },
};
const SCRIPT = writeScript(
  'printf "%s|%s" "$DB_PASSWORD" "$LICENSE" > "$TMP_OUTPUT_DIR/seen.txt"\necho "ran with secrets"\n',
);

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'continuum-local-secrets-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.DB_PASSWORD;
  delete process.env.LICENSE;
});

function run(lines: string[], outDir = join(scratch, 'out')) {
  const file = join(scratch, 'input.txt');
  writeFileSync(file, 'x');
  return runLocal({
    functionName: 'reader',
    script: SCRIPT,
    environment: {},
    secrets: SECRETS,
    inputs: [],
    outputs: [{ storage: 's3', bucket: 'lab', prefix: 'out', suffix: [] }],
    file,
    outDir,
    log: (line) => lines.push(line),
  });
}

describe('secrets in local runs', () => {
  test("each secret is this machine's variable of the same name, and the log never shows it", async () => {
    process.env.DB_PASSWORD = 'local-db-value';
    process.env.LICENSE = 'local-license-value';
    const lines: string[] = [];
    const outDir = join(scratch, 'out-seen');
    const result = await run(lines, outDir);
    assert.deepEqual(result.uploaded, ['seen.txt']);
    assert.equal(readFileSync(join(outDir, 'seen.txt'), 'utf8'), 'local-db-value|local-license-value');
    assert.match(result.stdout, /ran with secrets/);
    const log = lines.join('\n');
    assert.doesNotMatch(log, /local-db-value|local-license-value/);
  });

  test('a secret not set on this machine is an error naming it, its reference and what to do', async () => {
    process.env.DB_PASSWORD = 'local-db-value';
    await assert.rejects(run([]), {
      code: 'CONTINUUM_SECRET',
      message:
        's3://local-input/input.txt: secret LICENSE (Secrets Manager secret arn:aws:secretsmanager:us-east-1:123456789012:secret:license-AbCdEf) is not set: a local run reads no AWS secret; export LICENSE in this shell with the value to use',
    });
  });

  test('invoke local gives the values to the script the same way', async () => {
    process.env.DB_PASSWORD = 'invoked-db';
    process.env.LICENSE = 'invoked-license';
    const workDir = join(scratch, 'invoke');
    const answer = await invokeLocal({
      functionName: 'reader',
      script: writeScript('printf "%s|%s" "$DB_PASSWORD" "$LICENSE"\n'),
      environment: {},
      secrets: SECRETS,
      inputs: [],
      outputs: [],
      event: { hello: 'world' },
      workDir,
      log: () => undefined,
    });
    assert.equal(answer, 'invoked-db|invoked-license');
  });
});
