import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiRequestOf,
  byEvent,
  createApiHandler,
  createMonitorHandler,
  createS3ResultsHandler,
  createS3SubmitHandler,
  type HttpApiEvent,
} from '../src/runtime/handlers';
import type { ApiRequest, Services } from '../src/service/types';

/** The handlers only pass the services on: any object stands for them. */
const services = { secret: 'fake' } as unknown as Services;
const context = {} as never;

const event = (over: Partial<HttpApiEvent> = {}): HttpApiEvent => ({
  rawPath: '/node/register',
  rawQueryString: 'secret=s%2Bt&slots=2&maxSlots=4',
  queryStringParameters: { secret: 's+t', slots: '2', maxSlots: '4' },
  headers: { Authorization: 'Bearer x', 'Content-Type': 'application/json' },
  requestContext: { http: { method: 'GET' }, domainName: 'abc.execute-api.eu-west-1.amazonaws.com' },
  ...over,
});

const s3Event = (...keys: string[]) => ({
  Records: keys.map((key) => ({ s3: { bucket: { name: 'inputs-bucket' }, object: { key, size: 10 } } })),
});

describe('the HTTP API adapter', () => {
  test('turns a payload 2.0 event into the service’s request', () => {
    assert.deepEqual(apiRequestOf(event()), {
      method: 'GET',
      path: '/node/register',
      query: { secret: 's+t', slots: '2', maxSlots: '4' },
      headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
      baseUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com',
    } satisfies ApiRequest);
  });

  test('decodes the query: + is a space, percent escapes, the first of a repeated key', () => {
    const request = apiRequestOf(event({ rawQueryString: 'a=one+two&b=%2F%3D&a=again' }));
    assert.deepEqual(request.query, { a: 'one two', b: '/=' });
    const withoutRaw = apiRequestOf(
      event({ rawQueryString: undefined, queryStringParameters: { b: '%2F' } }),
    );
    assert.deepEqual(withoutRaw.query, { b: '/' });
    assert.deepEqual(
      apiRequestOf(event({ rawQueryString: undefined, queryStringParameters: undefined })).query,
      {},
    );
  });

  test('gives the body as bytes, base64-decoded when API Gateway encoded it', () => {
    assert.equal(apiRequestOf(event({ body: '{"iterations":5}' })).body?.toString(), '{"iterations":5}');
    const binary = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(
      apiRequestOf(event({ body: binary.toString('base64'), isBase64Encoded: true })).body,
      binary,
    );
    assert.equal('body' in apiRequestOf(event()), false);
  });

  test('answers with the service’s status, headers and body', async () => {
    const seen: ApiRequest[] = [];
    const handler = createApiHandler(Promise.resolve(services), async (given, request) => {
      assert.equal(given, services);
      seen.push(request);
      return { status: 201, headers: { 'content-type': 'application/json' }, body: '{"id":"j1"}' };
    });
    const answer = await handler(
      event({ rawPath: '/jobs', requestContext: { http: { method: 'post' }, domainName: 'h' } }),
      context,
    );
    assert.deepEqual(answer, {
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"id":"j1"}',
      isBase64Encoded: false,
    });
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.baseUrl, 'https://h');
  });

  test('a fault of the service is a bare 500, and the services are built once per container', async () => {
    let built = 0;
    const handler = createApiHandler(
      async () => {
        built++;
        return services;
      },
      async () => {
        throw new Error('table gone');
      },
    );
    const answer = await handler(event(), context);
    await handler(event(), context);
    assert.equal(answer.statusCode, 500);
    assert.equal(answer.body, 'Internal Server Error');
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(built, 1);
  });

  test('services that failed to start are built again by the next invocation', async () => {
    let attempts = 0;
    const handler = createApiHandler(
      async () => {
        if (++attempts === 1) throw new Error('secret not readable yet');
        return services;
      },
      async () => ({ status: 200, headers: {}, body: 'ok' }),
    );
    assert.equal((await handler(event(), context)).statusCode, 500);
    assert.equal((await handler(event(), context)).body, 'ok');
  });
});

describe('the S3 adapters', () => {
  test('give each uploaded object to the service with its key decoded', async () => {
    const seen: string[] = [];
    const handler = createS3SubmitHandler(Promise.resolve(services), async (_, bucket, key) => {
      seen.push(`${bucket}/${key}`);
    });
    await handler(s3Event('montecarlo/run+one.config', 'montecarlo/caf%C3%A9.config'), context);
    assert.deepEqual(seen, [
      'inputs-bucket/montecarlo/run one.config',
      'inputs-bucket/montecarlo/café.config',
    ]);
  });

  test('skip S3’s test event and malformed records; a failing object fails the invocation after the others', async () => {
    const seen: string[] = [];
    const handler = createS3ResultsHandler(Promise.resolve(services), async (_, bucket, key) => {
      if (key === 'bad.result') throw new Error('no such job');
      seen.push(key);
    });
    await handler({ Event: 's3:TestEvent' }, context);
    await handler({ Records: [null, { s3: { bucket: { name: 'b' } } }] }, context);
    assert.deepEqual(seen, []);
    await assert.rejects(
      handler(s3Event('bad.result', 'good.result'), context),
      /results failed for s3:\/\/inputs-bucket\/bad\.result/,
    );
    assert.deepEqual(seen, ['good.result']);
  });

  test('a function fed by both sends S3 events to S3’s adapter and the rest to the API’s', async () => {
    const got: string[] = [];
    const api = createApiHandler(Promise.resolve(services), async () => {
      got.push('api');
      return { status: 200, headers: {}, body: '' };
    });
    const s3 = createS3SubmitHandler(Promise.resolve(services), async () => {
      got.push('s3');
    });
    const handler = byEvent(api, s3);
    await handler(event(), context);
    await handler(s3Event('a.config'), context);
    assert.deepEqual(got, ['api', 's3']);
  });
});

test('the monitor runs one pass over the services', async () => {
  let passes = 0;
  const handler = createMonitorHandler(Promise.resolve(services), async (given) => {
    assert.equal(given, services);
    passes++;
  });
  await handler({ source: 'aws.events' }, context);
  assert.equal(passes, 1);
});
