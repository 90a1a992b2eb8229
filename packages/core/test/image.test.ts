// core/image without a registry: reproducible layers, references, challenges, platform choice, the config,
// Lambda's limits, the runtime layer read from this machine's Node.js, and where credentials come from.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { assembleImage, nodeRuntimeLayer } from '../src/image';
import { BlobCache } from '../src/image/cache';
import { registryCredentials } from '../src/image/credentials';
import { readElf } from '../src/image/elf';
import { buildLayer } from '../src/image/layer';
import { checkLambdaLimits, imageConfig, platformManifest } from '../src/image/manifest';
import { parseReference, parseRepositoryTarget } from '../src/image/reference';
import { parseChallenge } from '../src/image/registry';
import { readTar } from '../src/image/tar';
import { listenLoopback, readBody } from '../../../test/harness/loopback';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-image-unit-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const here = process.arch === 'arm64' ? 'arm64' : 'x86_64';

describe('layers', () => {
  const layer = {
    description: 'the script',
    files: [
      { path: '/opt/continuum/script.sh', source: { bytes: 'echo hi\n' }, executable: true },
      { path: '/opt/continuum/a/very/long/path/' + 'x'.repeat(120) + '.txt', source: { bytes: 'long' } },
    ],
  };

  test('the same files give the same blob in any cache, with parent folders 0755 and files 0644 or 0755, owned by root', () => {
    const first = buildLayer(layer, new BlobCache(tempDir()));
    const cache = new BlobCache(tempDir());
    const second = buildLayer({ ...layer, files: [...layer.files].reverse() }, cache);
    assert.equal(second.digest, first.digest);
    const entries = readTar(gunzipSync(cache.read(second.digest)));
    assert.deepEqual(
      entries.map((e) => [e.path, e.type, e.mode.toString(8)]),
      [
        ['opt', 'directory', '755'],
        ['opt/continuum', 'directory', '755'],
        ['opt/continuum/a', 'directory', '755'],
        ['opt/continuum/a/very', 'directory', '755'],
        ['opt/continuum/a/very/long', 'directory', '755'],
        ['opt/continuum/a/very/long/path', 'directory', '755'],
        [`opt/continuum/a/very/long/path/${'x'.repeat(120)}.txt`, 'file', '644'],
        ['opt/continuum/script.sh', 'file', '755'],
      ],
    );
  });

  test('an unchanged layer is found in the cache, not rebuilt', () => {
    const cache = new BlobCache(tempDir());
    let builds = 0;
    buildLayer(layer, cache, () => builds++);
    buildLayer(layer, cache, () => builds++);
    assert.equal(builds, 1);
  });

  test('a relative path is refused, naming the layer', () => {
    assert.throws(
      () =>
        buildLayer(
          { description: 'the script', files: [{ path: 'script.sh', source: { bytes: '' } }] },
          new BlobCache(tempDir()),
        ),
      /the script: "script.sh" is not an absolute file path in the image/,
    );
  });
});

describe('references', () => {
  test('Docker Hub names, registries with ports, tags and digests read as Docker reads them', () => {
    assert.deepEqual(parseReference('python:3.12-slim'), {
      registry: 'docker.io',
      repository: 'library/python',
      tag: '3.12-slim',
    });
    assert.deepEqual(parseReference('127.0.0.1:5000/base/busybox'), {
      registry: '127.0.0.1:5000',
      repository: 'base/busybox',
      tag: 'latest',
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseReference(`ghcr.io/org/img@${digest}`), {
      registry: 'ghcr.io',
      repository: 'org/img',
      digest,
    });
    assert.throws(() => parseReference('Upper/Case'), /is not a repository name/);
    assert.deepEqual(parseRepositoryTarget('127.0.0.1:5000/fn/echo'), {
      registry: '127.0.0.1:5000',
      repository: 'fn/echo',
    });
    assert.throws(() => parseRepositoryTarget('127.0.0.1:5000/fn:tag'), /without a tag or digest/);
  });

  test('a Bearer challenge gives its realm, service and scope', () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      ),
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/busybox:pull',
        },
      },
    );
    assert.deepEqual(parseChallenge('Basic realm="registry"'), {
      scheme: 'basic',
      params: { realm: 'registry' },
    });
  });
});

describe('manifests and configs', () => {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: 'm', digest: 'sha256:amd', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        {
          mediaType: 'm',
          digest: 'sha256:v7',
          size: 1,
          platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
        },
        {
          mediaType: 'm',
          digest: 'sha256:arm',
          size: 1,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
        {
          mediaType: 'm',
          digest: 'sha256:att',
          size: 1,
          platform: { os: 'unknown', architecture: 'unknown' },
        },
      ],
    }),
  );

  test('an index resolves to the linux manifest of the function architecture', () => {
    assert.equal(platformManifest(index, 'arm64', 'img').digest, 'sha256:arm');
    assert.equal(platformManifest(index, 'x86_64', 'img').digest, 'sha256:amd');
  });

  test('an index without the architecture names what it has', () => {
    const only = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          { mediaType: 'm', digest: 'd', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      }),
    );
    assert.throws(
      () => platformManifest(only, 'arm64', 'img:1'),
      /img:1 has no linux\/arm64 image for the arm64 architecture \(it has linux\/amd64\)/,
    );
  });

  test('the config keeps the base Env, User and WorkingDir, drops its Cmd, and adds HOME only where missing', () => {
    const base = {
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/bin', 'LANG=C'], Cmd: ['sh'], User: '1000', WorkingDir: '/work' },
      rootfs: { type: 'layers', diff_ids: ['sha256:base'] },
      history: [{ created_by: 'base' }],
    };
    const layer = {
      description: 'the script',
      digest: 'sha256:l',
      diffId: 'sha256:d',
      size: 1,
      uncompressedSize: 2,
    };
    const config = imageConfig(
      base,
      [layer],
      { entrypoint: ['/e'], env: { LANG: 'C.UTF-8' }, defaultEnv: { HOME: '/tmp' } },
      'x86_64',
      'img',
    );
    assert.deepEqual(config.config, {
      Env: ['PATH=/bin', 'LANG=C.UTF-8', 'HOME=/tmp'],
      Entrypoint: ['/e'],
      User: '1000',
      WorkingDir: '/work',
    });
    assert.deepEqual(config.rootfs?.diff_ids, ['sha256:base', 'sha256:d']);
    assert.deepEqual(
      config.history?.map((h) => h.created_by),
      ['base', 'serverless-continuum: the script'],
    );
    const withHome = imageConfig(
      { ...base, config: { Env: ['HOME=/root'] } },
      [],
      { entrypoint: ['/e'], defaultEnv: { HOME: '/tmp' } },
      'x86_64',
      'img',
    );
    assert.deepEqual(withHome.config?.Env, ['HOME=/root']);
  });

  test('an image over 10 GB is refused before anything is pushed', () => {
    const base = {
      schemaVersion: 2 as const,
      config: { mediaType: 'c', digest: 'd', size: 1 },
      layers: [{ mediaType: 'l', digest: 'd', size: 10 * 1024 ** 3 }],
    };
    const layer = { description: 'x', digest: 'd', diffId: 'd', size: 1, uncompressedSize: 1024 };
    assert.throws(
      () => checkLambdaLimits(base, [layer], 'big:1'),
      /the image on big:1 would be at least 10\.0 GiB uncompressed; Lambda takes at most 10 GB/,
    );
  });
});

describe('the Node.js runtime layer', () => {
  test("this machine's Node.js is read for its loader and the libraries it links", () => {
    const elf = readElf(readFileSync(process.execPath), process.execPath);
    assert.equal(elf.machine, here);
    assert.match(elf.interpreter ?? '', /ld-linux-(x86-64\.so\.2|aarch64\.so\.1)$/);
    assert.ok(elf.needed.includes('libc.so.6'), elf.needed.join(', '));
  });

  test('the layer holds node, its loader and libraries under /opt/continuum, and starts node through the loader', async () => {
    const { layer, command } = await nodeRuntimeLayer(here, {
      cacheDir: tempDir(),
      runtime: { node: process.execPath },
    });
    const paths = layer.files.map((f) => f.path);
    assert.equal(paths[0], '/opt/continuum/node');
    assert.ok(paths.includes('/opt/continuum/lib/libc.so.6'), paths.join(', '));
    assert.ok(paths.every((p) => p.startsWith('/opt/continuum/')));
    assert.deepEqual(command.slice(1), ['--library-path', '/opt/continuum/lib', '/opt/continuum/node']);
    assert.match(command[0]!, /^\/opt\/continuum\/lib\/ld-linux-/);
  });

  test('a runtime for another architecture needs its libraries named', async () => {
    const other = here === 'arm64' ? 'x86_64' : 'arm64';
    await assert.rejects(
      nodeRuntimeLayer(other, { cacheDir: tempDir(), runtime: { node: process.execPath } }),
      /needs its dynamic loader and libraries/,
    );
  });

  test('an npm package whose integrity is not the pinned one is refused', async () => {
    const dir = tempDir();
    const tarball = join(dir, 'fake-node-1.0.0.tgz');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fake-node', version: '1.0.0' }));
    const { execFileSync } = await import('node:child_process');
    execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: dir, stdio: 'ignore' });
    await assert.rejects(
      nodeRuntimeLayer(here, { cacheDir: tempDir(), runtime: { npm: tarball, integrity: 'sha512-AAAA' } }),
      /has the integrity sha512-\S+, not the pinned sha512-AAAA: refused/,
    );
  });
});

describe('credentials', () => {
  test('the Docker credentials file: auths as base64, as user and password, and as an identity token', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'one.example': { auth: Buffer.from('me:pw:with:colons').toString('base64') },
          'https://two.example': { username: 'you', password: 'secret' },
          'three.example': { identitytoken: 'refresh-me' },
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:hubpw').toString('base64') },
        },
      }),
    );
    const secrets: string[] = [];
    const options = { dockerConfig: dir, onSecret: (s: string) => secrets.push(s) };
    assert.deepEqual(await registryCredentials('one.example', options), {
      username: 'me',
      password: 'pw:with:colons',
    });
    assert.deepEqual(await registryCredentials('two.example', options), {
      username: 'you',
      password: 'secret',
    });
    assert.deepEqual(await registryCredentials('three.example', options), { identityToken: 'refresh-me' });
    assert.deepEqual(await registryCredentials('docker.io', options), { username: 'hub', password: 'hubpw' });
    assert.equal(await registryCredentials('four.example', options), undefined);
    assert.ok(secrets.includes('secret') && secrets.includes('refresh-me'));
  });

  test('a credential helper is asked with the registry on its standard input', async () => {
    const dir = tempDir();
    const helper = join(dir, 'docker-credential-continuumtest');
    writeFileSync(
      helper,
      '#!/bin/sh\nread server\nif [ "$server" = "helped.example" ]; then echo \'{"Username":"hu","Secret":"hs"}\'; else echo "credentials not found in native keychain" >&2; exit 1; fi\n',
    );
    chmodSync(helper, 0o755);
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ credHelpers: { 'helped.example': 'continuumtest' }, credsStore: 'continuumtest' }),
    );
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path}`;
    try {
      assert.deepEqual(await registryCredentials('helped.example', { dockerConfig: dir }), {
        username: 'hu',
        password: 'hs',
      });
      assert.equal(await registryCredentials('other.example', { dockerConfig: dir }), undefined);
    } finally {
      process.env.PATH = path;
    }
  });

  test('ECR: GetAuthorizationToken through the AWS SDK, checked at the wire', async () => {
    const requests: { target?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      void readBody(req).then((body) => {
        requests.push({ target: req.headers['x-amz-target'] as string | undefined, body: body.toString() });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            authorizationData: [
              {
                authorizationToken: Buffer.from('AWS:ecr-password').toString('base64'),
                proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
              },
            ],
          }),
        );
      });
    });
    const loopback = await listenLoopback(server);
    try {
      const secrets: string[] = [];
      const credentials = await registryCredentials('123456789012.dkr.ecr.eu-west-1.amazonaws.com', {
        ecrEndpoint: loopback.endpoint,
        awsCredentials: { accessKeyId: 'AKIAWIRE', secretAccessKey: 'wire' },
        onSecret: (s) => secrets.push(s),
      });
      assert.deepEqual(credentials, { username: 'AWS', password: 'ecr-password' });
      assert.deepEqual(requests, [
        { target: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', body: '{}' },
      ]);
      assert.ok(secrets.includes('ecr-password'));
    } finally {
      await loopback.close();
    }
  });
});

test('TLS verification is turned off for loopback registries only', async () => {
  await assert.rejects(
    assembleImage(
      { base: 'registry.example/x:1', architecture: 'x86_64', layers: [], config: { entrypoint: ['/e'] } },
      { cacheDir: tempDir(), insecureRegistries: ['registry.example'] },
    ),
    /insecureRegistries: "registry.example" is not a loopback registry/,
  );
});
