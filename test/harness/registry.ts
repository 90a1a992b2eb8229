// A real OCI registry for the image tests: Debian's docker-registry (CNCF distribution) on loopback with TLS
// and either htpasswd Basic auth or token auth (a token server here signing the registry's JWTs). The tools
// are found or the test is skipped with the install command (a failure under CI=true, where they must be).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { selfSignedCertificate } from './self-signed';

export const IMAGE_TOOLS = ['docker-registry', 'skopeo', 'umoci', 'busybox', 'openssl', 'unshare'] as const;
export const IMAGE_TOOLS_INSTALL =
  'apt-get install -y --no-install-recommends docker-registry skopeo umoci runc busybox-static';

function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

export const missingImageTools = IMAGE_TOOLS.filter((tool) => !has(tool));

/** Skips the test (one line naming the install command) when a tool is missing; under CI=true that is a failure. */
export function needImageTools(t: TestContext): boolean {
  if (!missingImageTools.length) return true;
  const line = `needs ${missingImageTools.join(', ')}: ${IMAGE_TOOLS_INSTALL}`;
  if (process.env.CI === 'true') throw new Error(`CI must run the image tests: ${line}`);
  t.skip(line);
  return false;
}

/** The user and password the htpasswd registry accepts (a test fixture, not a secret). */
export const REGISTRY_USER = { username: 'continuum', password: 'continuum-registry-test' };
// bcrypt of REGISTRY_USER.password, cost 5 (distribution's htpasswd takes bcrypt only).
const HTPASSWD = 'continuum:$2a$05$yuiOwgYDXdNDY.LC9ALrSO7XGCqqf9R5dALdDFxRZIFzSCjt/9GyG\n';

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** The registry's (and token server's) certificate, PEM: trust it as a CA with verification on. */
  cert: string;
  /** A folder with `ca.crt` for skopeo's `--cert-dir` options. */
  certDir: string;
  /** Requests the registry logged, for counting uploads. */
  requests: { method: string; path: string }[];
  /** Tokens the token server handed out (token auth only). */
  tokens: string[];
  close(): Promise<void>;
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/** A token server answering `GET /token?service&scope` for REGISTRY_USER with an ES256 JWT the registry trusts. */
async function startTokenServer(tls: { key: string; cert: string }, service: string, tokens: string[]) {
  const key = createPrivateKey(tls.key);
  const x5c = new X509Certificate(tls.cert).raw.toString('base64');
  const server = createHttpsServer(tls, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const expected = `Basic ${Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401).end('{"details":"wrong user or password"}');
      return;
    }
    const access = url.searchParams.getAll('scope').map((scope) => {
      const [type, name, actions] = scope.split(':');
      return { type, name, actions: (actions ?? '').split(',') };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: [x5c] }));
    const claims = base64url(
      JSON.stringify({
        iss: 'continuum-test',
        sub: REGISTRY_USER.username,
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${header}.${claims}.${base64url(signature)}`;
    tokens.push(token);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `https://127.0.0.1:${port}/token`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Starts docker-registry on a free loopback port with TLS; resolves once it answers `/v2/`. */
export async function startRegistry(options: { auth: 'htpasswd' | 'token' }): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-registry-'));
  const tls = selfSignedCertificate();
  writeFileSync(join(dir, 'cert.pem'), tls.cert);
  writeFileSync(join(dir, 'key.pem'), tls.key);
  const certDir = join(dir, 'certs');
  spawnSync('mkdir', ['-p', certDir]);
  writeFileSync(join(certDir, 'ca.crt'), tls.cert);
  writeFileSync(join(dir, 'htpasswd'), HTPASSWD);
  const port = await freePort();
  const tokens: string[] = [];
  const service = 'continuum-test-registry';
  const tokenServer = options.auth === 'token' ? await startTokenServer(tls, service, tokens) : undefined;
  const auth = tokenServer
    ? [
        'auth:',
        '  token:',
        `    realm: ${tokenServer.realm}`,
        `    service: ${service}`,
        '    issuer: continuum-test',
        `    rootcertbundle: ${join(dir, 'cert.pem')}`,
      ]
    : ['auth:', '  htpasswd:', '    realm: continuum-test', `    path: ${join(dir, 'htpasswd')}`];
  const config = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: json',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  tls:',
    `    certificate: ${join(dir, 'cert.pem')}`,
    `    key: ${join(dir, 'key.pem')}`,
    ...auth,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'config.yml'), config);
  const requests: { method: string; path: string }[] = [];
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    log += chunk;
    const lines = log.split('\n');
    log = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as {
          'http.request.method'?: string;
          'http.request.uri'?: string;
          msg?: string;
        };
        if (entry.msg === 'response completed' && entry['http.request.method'] && entry['http.request.uri']) {
          requests.push({ method: entry['http.request.method'], path: entry['http.request.uri'] });
        }
      } catch {
        // not a JSON line
      }
    }
  });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const probe = spawnSync('openssl', ['s_client', '-connect', host, '-brief'], {
      input: '',
      timeout: 2_000,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    if (probe.status === 0) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await tokenServer?.close();
      throw new Error(`docker-registry did not start on ${host}: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    host,
    cert: tls.cert,
    certDir,
    requests,
    tokens,
    async close() {
      await tokenServer?.close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
