// The OSCAR contract server every oscar-target test talks to: the fake OSCAR behind Prism validating each
// request and response against OSCAR's API document (test/fixtures/oscar/openapi.yaml), violations collected.
//
// API (kept stable: the provider's e2e tests use it):
//   const contract = await startOscarContract(options?: OscarContractOptions);
//   contract.endpoint      http://127.0.0.1:<port>: the cluster's URL for the client (or `sls` in a child process)
//   contract.fake          the FakeOscar behind it (fake-oscar.ts): services, jobs, deletedBuckets, requests,
//                          username/password/minio, options (logsShape, pageSize, existsStatus, legacyEnvironment:
//                          changeable between calls), fail({status?, body?, delayMs?, times?, match?}), reset()
//   contract.violations()  every violation so far, as {method, path, status, location, severity, code?, message}:
//                          tests assert it is []; `tolerated()` the ones let through (see below)
//   contract.clear()       forgets the violations (one contract per test file; clear and fake.reset() per test)
//   contract.startupMs     how long Prism took to load the document and listen
//   await contract.close()
// `options`: the fake's (FakeOscarOptions: username, password, acceptToken (e.g. oidc.accepts from oidc.ts),
// logsShape, pageSize, existsStatus, legacyEnvironment, minio, tls) plus `document` (another API document).
//
// What Prism 5.8 (prism-http 5.12) does with this Swagger 2.0 document, found by trying it:
// - it validates request bodies against the schemas (`types.Service` requires name, image and script), the
//   Content-Type against `consumes` (415 `Supported content types: ...`), the security requirement (no
//   Authorization header: `Invalid security scheme used`; the BearerAuth apiKey only checks the header is there),
//   and response bodies against the response schemas.
// - with --errors a request violation is not forwarded (Prism answers 422 problem+json, or 401 for security),
//   and a response violation replaces the answer with a 500 problem+json. OSCAR's real empty answers (201 on
//   create, 204, 404) break that mode: the document says `produces: application/json` for them, so Prism reports
//   `The received media type "" does not match ... application/json` and, with --errors, answers 500 instead;
//   an empty body with a JSON content type makes Prism itself fail (`invalid json response body`).
// - OSCAR's error bodies are plain text (gin's c.String) where the document says application/json: Prism
//   reports `The received media type "text/plain; ..." does not match` on every 4xx/5xx.
// - a status the document does not list (v3's 409, an injected 503) is a Warning, `Unable to match the returned
//   status code with those defined in the document`.
// - so Prism runs here WITHOUT --errors: it forwards everything and reports each violation in the
//   `sl-violations` response header, which the recorder in front of it collects and strips. Tolerated, and
//   listed by `tolerated()`: the media type of an empty answer or of a plain-text error (the document's gaps),
//   and the response of an answer a test asked the fake for outside the document (fake.fail(), v3's 409;
//   the fake marks those). Everything else, every request violation included, is in `violations()`.
// - Prism runs in this process through its JS API (the one its CLI uses), measured on this 2-core machine:
//   loading it about 0.9 s and reading the document about 0.2 s (`startupMs` ~1.1 s), where `prism proxy` as a
//   child process takes ~1.9 s to say it is listening, and its violations would have to be read from its log.
//   Keep one contract per test file.
import { createRequire } from 'node:module';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { listenLoopback, readBody } from '../loopback';
import { OFF_DOCUMENT_HEADER, startFakeOscar, type FakeOscar, type FakeOscarOptions } from './fake-oscar';

export const OSCAR_DOCUMENT = join(__dirname, '..', '..', 'fixtures', 'oscar', 'openapi.yaml');

export interface Violation {
  method: string;
  /** The request's path and query. */
  path: string;
  /** The status the client received. */
  status: number;
  /** Where: `request.body.image`, `response`, ... */
  location: string;
  severity: string;
  code?: string | number;
  message: string;
}

export interface OscarContractOptions extends FakeOscarOptions {
  /** The API document; OSCAR v4.1.2's (test/fixtures/oscar/openapi.yaml) when omitted. */
  document?: string;
}

export interface OscarContract {
  endpoint: string;
  fake: FakeOscar;
  violations(): Violation[];
  tolerated(): Violation[];
  clear(): void;
  startupMs: number;
  close(): Promise<void>;
}

interface PrismServer {
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

interface PrismModules {
  getHttpOperationsFromSpec(document: string): Promise<unknown[]>;
  createServer(operations: unknown[], options: unknown): PrismServer;
  createLogger(name: string, options: unknown, destination: NodeJS.WritableStream): unknown;
}

/** Prism's JS API, resolved from @stoplight/prism-cli (the package the repository depends on). */
function loadPrism(): PrismModules {
  const fromCli = createRequire(require.resolve('@stoplight/prism-cli/package.json'));
  const http = fromCli('@stoplight/prism-http') as Pick<PrismModules, 'getHttpOperationsFromSpec'>;
  const server = fromCli('@stoplight/prism-http-server') as Pick<PrismModules, 'createServer'>;
  const core = fromCli('@stoplight/prism-core') as Pick<PrismModules, 'createLogger'>;
  return {
    getHttpOperationsFromSpec: http.getHttpOperationsFromSpec,
    createServer: server.createServer,
    createLogger: core.createLogger,
  };
}

/** What the document gets wrong about OSCAR's answers (and only that): their media type when empty or an error. */
function isDocumentGap(violation: Violation, answer: { length: number; type: string }): boolean {
  if (violation.location !== 'response') return false;
  const mediaType = /^The received media type "([^"]*)" does not match/.exec(violation.message)?.[1];
  if (mediaType === undefined) return false;
  // An empty 201/204/404 has no media type; OSCAR's error bodies are plain text (gin's c.String).
  return answer.length === 0 || (violation.status >= 400 && mediaType.startsWith('text/plain'));
}

export async function startOscarContract(options: OscarContractOptions = {}): Promise<OscarContract> {
  const { document = OSCAR_DOCUMENT, ...fakeOptions } = options;
  const fake = await startFakeOscar(fakeOptions);
  const started = Date.now();
  const prism = loadPrism();
  const operations = await prism.getHttpOperationsFromSpec(document);
  // Prism's own log repeats requests with their Authorization headers: it goes nowhere.
  const sink = new PassThrough();
  sink.resume();
  const logger = prism.createLogger('CONTRACT', { level: 'silent' }, sink) as { child(o: unknown): unknown };
  const proxy = prism.createServer(operations, {
    cors: false,
    config: {
      isProxy: true,
      upstream: new URL(fake.endpoint),
      errors: false,
      validateRequest: true,
      validateResponse: true,
      checkSecurity: true,
      mock: { dynamic: false },
    },
    components: { logger: logger.child({ name: 'HTTP SERVER' }) },
  });
  const prismUrl = new URL(await proxy.listen(0, '127.0.0.1'));
  const startupMs = Date.now() - started;

  const found: Violation[] = [];
  const let_through: Violation[] = [];
  const recorder = createServer((req, res) => {
    void readBody(req).then((body) => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const headers: IncomingHttpHeaders = { ...req.headers, host: prismUrl.host };
      const upstream = request(
        { hostname: prismUrl.hostname, port: prismUrl.port, method, path, headers },
        (answer) => {
          void readBody(answer).then((answerBody) => {
            const status = answer.statusCode ?? 502;
            const raw = answer.headers['sl-violations'];
            const reported = typeof raw === 'string' ? parseViolations(raw) : [];
            const asked = answer.headers[OFF_DOCUMENT_HEADER] !== undefined;
            const shape = { length: answerBody.length, type: String(answer.headers['content-type'] ?? '') };
            for (const v of reported) {
              const violation: Violation = { method, path, status, ...v };
              const tolerate =
                isDocumentGap(violation, shape) || (asked && violation.location.startsWith('response'));
              (tolerate ? let_through : found).push(violation);
            }
            const { 'sl-violations': _dropped, [OFF_DOCUMENT_HEADER]: _asked, ...rest } = answer.headers;
            res.writeHead(status, rest).end(answerBody);
          });
        },
      );
      upstream.on('error', (error) => res.destroy(error));
      upstream.end(body);
    });
  });
  const front = await listenLoopback(recorder);

  return {
    endpoint: front.endpoint,
    fake,
    violations: () => [...found],
    tolerated: () => [...let_through],
    clear() {
      found.length = 0;
      let_through.length = 0;
    },
    startupMs,
    async close() {
      await front.close();
      await proxy.close();
      await fake.close();
    },
  };
}

function parseViolations(header: string): Array<Omit<Violation, 'method' | 'path' | 'status'>> {
  // Prism cuts a long list: `Too many violations! [...` (still a violation, whatever it says).
  const json = header.startsWith('Too many violations! ') ? null : header;
  try {
    const list = JSON.parse(json ?? '') as Array<{
      location?: string[];
      severity?: string;
      code?: string | number;
      message?: string;
    }>;
    return list.map((v) => ({
      location: (v.location ?? []).join('.'),
      severity: v.severity ?? 'Error',
      ...(v.code === undefined ? {} : { code: v.code }),
      message: v.message ?? '',
    }));
  } catch {
    return [{ location: 'request', severity: 'Error', message: header.slice(0, 500) }];
  }
}
