// core's HTTP client over https against a loopback server with a self-signed certificate made here by openssl:
// verification is on by default, one endpoint may opt out or trust its own certificate authority.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { createHttpClient } from '@serverless-continuum/core/http';
import { hasOpenssl, selfSignedCertificate } from '../../../test/harness/self-signed';
import { listenLoopback, readBody, type Loopback } from '../../../test/harness/loopback';
import { httpError, scriptedServer } from './http-servers';

const script = scriptedServer();

describe('http client over https', { skip: !hasOpenssl && 'openssl is not installed' }, () => {
  let tls: Loopback;
  let cert: string;
  before(async () => {
    const pair = selfSignedCertificate();
    cert = pair.cert;
    const key = pair.key;
    tls = await listenLoopback(
      createHttpsServer(
        { key, cert },
        (req, res) => void readBody(req).then((body) => script.listener(req, res, body.toString(), 0)),
      ) as never,
    );
  });
  after(async () => {
    await tls?.close();
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
