// The function's credentials never reach the script: a script that reads every /proc/*/environ and
// /proc/*/cmdline it can finds none of them, while the bundled supervisor's own AWS calls are still signed with
// them. As Lambda (keys in the environment) and as a Batch job (the ECS container credentials endpoint).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { listenLoopback, type Loopback } from '../../../../test/harness/loopback';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import { startLambdaEndpoint, type WireEndpoint } from './helpers/aws-wire';
import { startRuntimeApi, type FakeRuntimeApi } from './helpers/runtime-api';
import { s3Event, TestBucket } from './helpers/s3';
import { BUNDLE, startSupervisor, writeScript } from './helpers/supervisor';

/** Prints, for every environ and cmdline file it can read, the credential-shaped strings in it. */
const SEARCH_PROC = `
found=$(for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do
  tr '\\0' '\\n' < "$f" 2>/dev/null | grep -o 'continuumsecret[0-9a-f]*' | sed "s|^|$f |"
done)
echo "parent variables: $(tr '\\0' '\\n' < /proc/$PPID/environ | grep -c '^CONTINUUM_')"
echo "own variables: $(cat /proc/self/environ | tr '\\0' '\\n' | grep -c '^TMP_OUTPUT_DIR=')"
echo "found: $found"
`;

const secret = () => `continuumsecret${randomBytes(16).toString('hex')}`;

let s3: LocalService;
let api: FakeRuntimeApi;
let lambda: WireEndpoint;
before(async () => {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run \`npm run build\` first`);
  s3 = await startS3rver({ buckets: ['data'] });
  api = await startRuntimeApi();
  lambda = await startLambdaEndpoint();
});
after(() => Promise.all([s3.close(), api.close(), lambda.close()]));

/** What the search found: the supervisor's environment was readable, and which secrets appeared where. */
function readSearch(text: string, secrets: string[]): { parentVariables: number; leaks: string[] } {
  const parentVariables = Number(/^parent variables: (\d+)$/m.exec(text)?.[1] ?? 0);
  assert.match(text, /^own variables: 1$/m, 'the search ran and read environ files');
  const leaks = text
    .split('\n')
    .filter((line) => secrets.some((value) => line.includes(value)))
    .map((line) => line.replace(/continuumsecret[0-9a-f]+/g, '<secret>'));
  return { parentVariables, leaks };
}

test("in Lambda, no /proc/*/environ or cmdline shows the role's keys, and the supervisor still signs with them", async () => {
  const keys = {
    AWS_ACCESS_KEY_ID: secret(),
    AWS_SECRET_ACCESS_KEY: secret(),
    AWS_SESSION_TOKEN: secret(),
  };
  const supervisor = startSupervisor(
    {
      ...keys,
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_RUNTIME_API: api.address,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      CONTINUUM_SCRIPT: writeScript(SEARCH_PROC),
    },
    { from: 'bundle' },
  );
  try {
    const handedOver = await api.invoke(
      { httpMethod: 'POST', headers: { 'X-Amz-Invocation-Type': 'Event' }, body: 'x' },
      { requestId: 'req-creds-async' },
    );
    assert.equal(handedOver.kind, 'response');
    const call = lambda.requests[0];
    assert.ok(call, 'the supervisor called Lambda');
    assert.match(String(call.headers.authorization), new RegExp(`Credential=${keys.AWS_ACCESS_KEY_ID}/`));
    assert.equal(call.headers['x-amz-security-token'], keys.AWS_SESSION_TOKEN);

    const outcome = await api.invoke({ search: true }, { requestId: 'req-creds-search' });
    assert.equal(outcome.kind, 'response', JSON.stringify(outcome.body));
    const search = readSearch(outcome.body as string, Object.values(keys));
    assert.ok(search.parentVariables > 0, "the script could read the supervisor's /proc/<pid>/environ");
    assert.deepEqual(search.leaks, [], 'no process shows a credential');
  } finally {
    await supervisor.stop();
  }
});

test('as a Batch job, the container credentials endpoint and token are in no /proc/*/environ, and S3 still works', async () => {
  const path = `/${secret()}`;
  const token = secret();
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url === path ? String(req.headers.authorization) : `unexpected ${req.url}`);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({
        AccessKeyId: 'S3RVER',
        SecretAccessKey: 'S3RVER',
        Token: 'session',
        Expiration: new Date(Date.now() + 3600_000).toISOString(),
      }),
    );
  });
  const credentials: Loopback = await listenLoopback(server);
  const bucket = new TestBucket(s3.endpoint, 'data');
  try {
    await bucket.put('in/creds.txt', 'x');
    const supervisor = startSupervisor(
      {
        AWS_REGION: 'us-east-1',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${credentials.endpoint}${path}`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
        CONTINUUM_MODE: 'batch',
        CONTINUUM_EVENT: JSON.stringify(s3Event('data', 'in/creds.txt')),
        CONTINUUM_INPUTS: JSON.stringify([{ storage: 's3', bucket: 'data', prefix: 'in', suffix: [] }]),
        CONTINUUM_OUTPUTS: JSON.stringify([
          { storage: 's3', bucket: 'data', prefix: 'creds-out', suffix: [] },
        ]),
        CONTINUUM_S3_ENDPOINT: s3.endpoint,
        CONTINUUM_SCRIPT: writeScript(`{\n${SEARCH_PROC}\n} > "$TMP_OUTPUT_DIR/search.txt"\n`),
      },
      { from: 'bundle' },
    );
    assert.equal(await supervisor.exited, 0, supervisor.output());
    assert.ok(
      seen.length > 0 && seen.every((header) => header === token),
      `credentials calls: ${seen.join(', ')}`,
    );
    const search = readSearch((await bucket.get('creds-out/search.txt')).toString(), [path.slice(1), token]);
    assert.ok(search.parentVariables > 0, "the script could read the supervisor's /proc/<pid>/environ");
    assert.deepEqual(search.leaks, [], 'no process shows a credential');
  } finally {
    bucket.destroy();
    await credentials.close();
  }
});
