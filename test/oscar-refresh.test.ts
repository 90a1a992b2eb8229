// `provider.auth.refreshToken` through the real CLI: the access token comes from a loopback OIDC token endpoint,
// and a 401 in the middle of a deploy is fixed by one refresh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runSls } from './harness/sls';
import { startOscarContract, type OscarContract } from './harness/oscar/contract';
import { startOidc, type LoopbackOidc } from './harness/oscar/oidc';

const FIXTURE = join(__dirname, 'fixtures', 'oscar-service');
const work = join(REPO_ROOT, '.tmp', 'fixtures', `oscar-refresh-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });

let oidc: LoopbackOidc;
let contract: OscarContract;
before(async () => {
  oidc = await startOidc({ clientId: 'oscar-cli' });
  contract = await startOscarContract({ acceptToken: (token) => oidc.accepts(token) });
});
after(async () => {
  await contract.close();
  await oidc.close();
  rmSync(work, { recursive: true, force: true });
});

test('deploys with a refreshed access token, and a 401 mid-deploy is fixed by one refresh', async () => {
  const dir = join(work, 'service');
  cpSync(FIXTURE, dir, { recursive: true });
  // The cluster refuses the create once, as it does when an access token expires mid-run.
  contract.fake.fail({
    status: 401,
    body: 'Unauthorized',
    match: (method, path) => method === 'POST' && path === '/system/services',
  });
  const run = await runSls('osls', ['deploy', '--config', 'refresh-token.yml'], {
    cwd: dir,
    env: {
      OSCAR_ENDPOINT: contract.endpoint,
      OIDC_REFRESH_TOKEN: oidc.refreshToken,
      OIDC_TOKEN_ENDPOINT: oidc.tokenEndpoint,
      OIDC_CLIENT_ID: 'oscar-cli',
    },
  });
  const output = run.stdout + run.stderr;
  assert.equal(run.code, 0, output);
  assert.match(output, /1 created, 0 updated, 0 unchanged, 0 removed/);
  assert.equal(oidc.refreshes, 2, 'one refresh to start, one for the 401');
  assert.ok(contract.fake.services.has('plants'));
  assert.doesNotMatch(output, new RegExp(oidc.refreshToken), 'the refresh token is never printed');
  for (const token of oidc.issued) assert.doesNotMatch(output, new RegExp(token));
  assert.deepEqual(contract.violations(), []);
});
