// core's HTTP client against a real loopback server: JSON, auth, retries counted at the server, timeouts, and
// credentials that must never reach an error message. TLS is in http-client-tls.test.ts.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { inspect } from 'node:util';
import { createHttpClient } from '@serverless-continuum/core/http';
import { listenLoopback, readBody, type Loopback } from '../../../test/harness/loopback';
import { httpError, json, scriptedServer } from './http-servers';

describe('http client', () => {
  const script = scriptedServer();
  let plain: Loopback;
  before(async () => {
    plain = await listenLoopback(
      createServer(
        (req, res) => void readBody(req).then((body) => script.listener(req, res, body.toString(), 0)),
      ),
    );
  });
  after(() => plain.close());
  beforeEach(() => script.handle((_req, res) => json(res, 200, {})));

  test('sends JSON and reads JSON back, with the path and query joined onto the endpoint URL', async () => {
    script.handle((req, res, body) =>
      json(res, 201, {
        method: req.method,
        url: req.url,
        type: req.headers['content-type'],
        got: JSON.parse(body),
      }),
    );
    const client = createHttpClient({ url: `${plain.endpoint}/api/` });
    const response = await client.put(
      '/system/services/demo',
      { name: 'demo' },
      { query: { force: true, skip: undefined } },
    );
    assert.equal(response.status, 201);
    assert.deepEqual(response.body, {
      method: 'PUT',
      url: '/api/system/services/demo?force=true',
      type: 'application/json',
      got: { name: 'demo' },
    });
  });

  test('gives a body that is not JSON back as text', async () => {
    script.handle((_req, res) => res.end('plain words'));
    const client = createHttpClient({ url: plain.endpoint });
    assert.equal((await client.get('/run')).body, 'plain words');
  });

  test('fails, without retrying, on an answer that says it is JSON but is not', async () => {
    script.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>login</html>');
    });
    const error = await httpError(
      createHttpClient({ url: plain.endpoint, backoffMs: 1 }).get('/system/info'),
    );
    assert.equal(error.reason, 'body');
    assert.equal(script.hits(), 1);
    assert.match(
      error.message,
      /answered 200 with a body that says it is JSON but is not \(1 attempt\): <html>login<\/html>$/,
    );
  });

  test("sends Basic credentials (also when they come from the URL's userinfo) and Bearer tokens", async () => {
    const seen: Array<string | undefined> = [];
    script.handle((req, res) => {
      seen.push(req.headers.authorization);
      json(res, 200, {});
    });
    await createHttpClient({
      url: plain.endpoint,
      auth: { type: 'basic', user: 'oscar', password: 'pä:ss' },
    }).get('/');
    await createHttpClient({ url: plain.endpoint.replace('//', '//oscar:p%C3%A4%3Ass@') }).get('/');
    await createHttpClient({ url: plain.endpoint, auth: { type: 'bearer', token: 'eyJ.token' } }).get('/');
    const basic = `Basic ${Buffer.from('oscar:pä:ss').toString('base64')}`;
    assert.deepEqual(seen, [basic, basic, 'Bearer eyJ.token']);
  });

  test('retries a GET answered 503 and 429 until it succeeds, and the server sees each attempt', async () => {
    script.handle((_req, res, _body, attempt) => {
      if (attempt === 1) return json(res, 503, { message: 'busy' });
      if (attempt === 2) return json(res, 429, { message: 'slow down' });
      json(res, 200, { ok: true });
    });
    const client = createHttpClient({ url: plain.endpoint, backoffMs: 1 });
    assert.deepEqual((await client.get('/system/info')).body, { ok: true });
    assert.equal(script.hits(), 3);
  });

  test('gives up after its retries, naming the method, URL, status and attempts', async () => {
    script.handle((_req, res) => json(res, 500, { message: 'database down' }));
    const client = createHttpClient({ url: plain.endpoint, retries: 2, backoffMs: 1, name: 'OSCAR' });
    const error = await httpError(client.delete('/system/services/demo'));
    assert.equal(script.hits(), 3);
    assert.equal(error.status, 500);
    assert.equal(error.reason, 'status');
    assert.equal(
      error.message,
      `OSCAR DELETE ${plain.endpoint}/system/services/demo answered 500 Internal Server Error (3 attempts): {"message":"database down"}`,
    );
  });

  test('does not repeat a POST unless the caller says repeating it is safe', async () => {
    script.handle((_req, res) => json(res, 503, {}));
    const client = createHttpClient({ url: plain.endpoint, retries: 2, backoffMs: 1 });
    assert.equal((await httpError(client.post('/job/demo', { n: 1 }))).attempts, 1);
    assert.equal(script.hits(), 1);
    script.handle((_req, res) => json(res, 503, {}));
    assert.equal((await httpError(client.post('/job/demo', { n: 1 }, { retry: true }))).attempts, 3);
    assert.equal(script.hits(), 3);
  });

  test('does not retry a client error such as 404', async () => {
    script.handle((_req, res) => json(res, 404, { message: 'no such service' }));
    const error = await httpError(
      createHttpClient({ url: plain.endpoint, backoffMs: 1 }).get('/system/services/x'),
    );
    assert.equal(error.status, 404);
    assert.equal(script.hits(), 1);
  });

  test('waits as long as Retry-After asks before it tries again', async () => {
    let firstAt = 0;
    let secondAt = 0;
    script.handle((_req, res, _body, attempt) => {
      if (attempt === 1) {
        firstAt = Date.now();
        return json(res, 503, {}, { 'retry-after': '1' });
      }
      secondAt = Date.now();
      json(res, 200, {});
    });
    await createHttpClient({ url: plain.endpoint, backoffMs: 1 }).get('/');
    assert.ok(secondAt - firstAt >= 950, `retried after ${secondAt - firstAt} ms`);
  });

  test('fails at once when Retry-After asks for longer than it is willing to wait', async () => {
    script.handle((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    const error = await httpError(createHttpClient({ url: plain.endpoint, maxRetryAfterMs: 5000 }).get('/'));
    assert.equal(script.hits(), 1);
    assert.match(
      error.message,
      /answered 429 Too Many Requests \(1 attempt; it asks to retry after 3600 s\)/,
    );
  });

  test('retries a GET whose connection broke before an answer', async () => {
    script.handle((req, res, _body, attempt) =>
      attempt === 1 ? req.socket.destroy() : json(res, 200, { ok: 1 }),
    );
    assert.deepEqual((await createHttpClient({ url: plain.endpoint, backoffMs: 1 }).get('/')).body, {
      ok: 1,
    });
    assert.equal(script.hits(), 2);
  });

  test('times out an attempt that takes too long, and says how long it waited', async () => {
    script.handle(() => {}); // never answers
    const started = Date.now();
    const error = await httpError(
      createHttpClient({ url: plain.endpoint, timeoutMs: 150, retries: 1, backoffMs: 1 }).get('/slow'),
    );
    assert.equal(error.reason, 'timeout');
    assert.equal(script.hits(), 2);
    assert.match(error.message, /GET http:\/\/127\.0\.0\.1:\d+\/slow timed out after 150 ms \(2 attempts\)/);
    assert.ok(Date.now() - started < 2000);
  });

  test('reports a refused connection as a network failure', async () => {
    const closed = await listenLoopback(createServer());
    await closed.close();
    const error = await httpError(createHttpClient({ url: closed.endpoint, retries: 0 }).get('/'));
    assert.equal(error.reason, 'network');
    assert.match(error.message, /failed: .*ECONNREFUSED.* \(1 attempt\)/);
  });

  test('never puts a password or token in an error message, whatever failed', async () => {
    const closed = await listenLoopback(createServer());
    await closed.close();
    const refused = closed.endpoint; // nothing listens there any more
    const password = 'Sup3r-S3cret';
    const token = 'tok-0123456789';
    script.handle((req, res) => json(res, 500, { echo: req.headers.authorization, url: req.url }));
    const basicUrl = createHttpClient({
      url: plain.endpoint.replace('//', `//oscar:${password}@`),
      retries: 0,
    });
    const bearer = createHttpClient({ url: plain.endpoint, auth: { type: 'bearer', token }, retries: 0 });
    const errors = [
      await httpError(basicUrl.get(`/echo`)),
      await httpError(bearer.get('/echo')),
      await httpError(
        createHttpClient({ url: refused.replace('//', `//oscar:${password}@`), retries: 0 }).get('/'),
      ),
    ];
    script.handle(() => {});
    errors.push(
      await httpError(
        createHttpClient({
          url: plain.endpoint.replace('//', `//u:${password}@`),
          timeoutMs: 50,
          retries: 0,
        }).get('/'),
      ),
    );
    const basic64 = Buffer.from(`oscar:${password}`).toString('base64');
    for (const error of errors) {
      for (const text of [
        error.message,
        String(error),
        inspect(error, { depth: 5 }),
        JSON.stringify(error),
      ]) {
        for (const secret of [password, token, basic64]) {
          assert.ok(!text.includes(secret), `secret in: ${text}`);
        }
      }
    }
    assert.match(errors[0]!.message, /"echo":"Basic \*\*\*"/);
  });
});
