// `sls deploy --package <dir>` finds the mapreduce artifacts that `sls package --package <dir>` wrote: it gets
// past the framework's artifact checks and reaches CloudFormation, answered here by a loopback server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { listenLoopback, readBody } from './harness/loopback';
import { REPO_ROOT, runSls } from '../plugins/mapreduce/test/cli';

const dir = join(REPO_ROOT, '.tmp', 'fixtures', `mapreduce-deploy-${randomBytes(4).toString('hex')}`);
after(() => rmSync(dir, { recursive: true, force: true }));

test('deploy --package uses the packaged per-role zips (no service-wide zip is expected)', async () => {
  mkdirSync(dir, { recursive: true });
  cpSync(join(__dirname, 'fixtures', 'mapreduce-wordcount'), dir, { recursive: true });
  const packaged = await runSls('osls', ['package', '--package', 'pkg'], { cwd: dir });
  assert.equal(packaged.code, 0, packaged.stderr + packaged.stdout);
  assert.ok(existsSync(join(dir, 'pkg', 'mapreduce', 'wordcount-mapper.zip')));

  // Every AWS call goes to this server, which refuses it: the deploy must get as far as asking.
  const actions: string[] = [];
  const aws = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const text = raw.toString('utf8');
      actions.push(/Action=([A-Za-z]+)/.exec(text)?.[1] ?? String(req.headers['x-amz-target'] ?? req.url));
      res
        .writeHead(400, { 'content-type': 'text/xml' })
        .end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>loopback refuses</Message></Error></ErrorResponse>',
        );
    });
  });
  const { endpoint, close } = await listenLoopback(aws);
  try {
    const deployed = await runSls('osls', ['deploy', '--package', 'pkg'], {
      cwd: dir,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const output = deployed.stdout + deployed.stderr;
    assert.notEqual(deployed.code, 0);
    assert.doesNotMatch(output, /file found in the package path/);
    assert.ok(actions.length > 0, `the deploy reached AWS (output: ${output})`);
  } finally {
    await close();
  }
});
