// core's HTTP client over https against a loopback server with a self-signed certificate made here by openssl:
// verification is on by default, one endpoint may opt out or trust its own certificate authority.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpClient } from '@serverless-continuum/core/http';
import { listenLoopback, readBody, type Loopback } from '../../../test/harness/loopback';
import { httpError, scriptedServer } from './http-servers';

const openssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const script = scriptedServer();

describe('http client over https', { skip: !openssl && 'openssl is not installed' }, () => {
  let tls: Loopback;
  let dir: string;
  let cert: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'http-tls-'));
    execFileSync(
      'openssl',
      // prettier-ignore
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { cwd: dir, stdio: 'ignore', input: '' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'));
    tls = await listenLoopback(
      createHttpsServer(
        { key, cert },
        (req, res) => void readBody(req).then((body) => script.listener(req, res, body.toString(), 0)),
      ) as never,
    );
  });
  after(async () => {
    await tls?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const https = (): string => tls.endpoint.replace('http:', 'https:');

  test('verifies certificates by default: a self-signed one fails with a clear error, and is not retried', async () => {
    const error = await httpError(createHttpClient({ url: https(), backoffMs: 1 }).get('/system/info'));
    assert.equal(error.reason, 'tls');
    assert.equal(error.attempts, 1);
    assert.match(
      error.message,
      /TLS: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(self-signed certificate/,
    );
    assert.match(error.message, /tlsVerify: false/);
    assert.equal(script.hits(), 0);
  });

  test('accepts the certificate on the one endpoint that opts out, and nowhere else', async () => {
    const insecure = createHttpClient({ url: https(), tlsVerify: false });
    assert.equal((await insecure.get('/')).status, 200);
    await insecure.close();
    assert.equal((await httpError(createHttpClient({ url: https() }).get('/'))).reason, 'tls');
  });

  test('trusts a private certificate authority given for the endpoint, with verification on', async () => {
    const client = createHttpClient({ url: https(), ca: cert });
    assert.equal((await client.get('/')).status, 200);
    await client.close();
  });
});
