// core/image against a real registry: docker-registry on loopback with TLS (its certificate trusted as a CA,
// verification on) and htpasswd Basic auth or token auth; bases loaded with skopeo, results read back with it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assembleImage, pushImage, type ImageBuild, type ImageOptions } from '../src/image';
import { loadBusyboxBase, loadGlibcBase, skopeoCreds } from '../../../test/harness/base-images';
import {
  missingImageTools,
  needImageTools,
  REGISTRY_USER,
  startRegistry,
  type TestRegistry,
} from '../../../test/harness/registry';

const tools = !missingImageTools.length;

function dockerConfigWith(registry: TestRegistry): string {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-docker-config-'));
  const auth = Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
  return dir;
}

function build(base: string, script: string): ImageBuild {
  return {
    base,
    architecture: process.arch === 'arm64' ? 'arm64' : 'x86_64',
    layers: [
      {
        description: 'the supervisor',
        files: [{ path: '/opt/continuum/supervisor.js', source: { bytes: 'console.log("hi")\n' } }],
      },
      {
        description: 'the script',
        files: [{ path: '/opt/continuum/script.sh', source: { bytes: script }, executable: true }],
      },
    ],
    config: { entrypoint: ['/bin/sh', '/opt/continuum/script.sh'], env: { CONTINUUM_MARK: '1' } },
  };
}

function skopeo(registry: TestRegistry, ...args: string[]): string {
  return execFileSync(
    'skopeo',
    [...args.slice(0, 1), '--cert-dir', registry.certDir, '--creds', skopeoCreds(), ...args.slice(1)],
    { encoding: 'utf8' },
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

describe('core/image with a registry behind TLS and htpasswd Basic auth', { skip: !tools }, () => {
  let registry: TestRegistry;
  let busybox: string;
  let glibc: string;
  let cacheDir: string;
  let options: ImageOptions;

  before(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    busybox = await loadBusyboxBase(registry);
    glibc = await loadGlibcBase(registry);
    cacheDir = mkdtempSync(join(tmpdir(), 'continuum-image-cache-'));
    options = { cacheDir, ca: registry.cert, dockerConfig: dockerConfigWith(registry) };
  });
  after(async () => {
    await registry?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  test('pushes an image whose config keeps the base Env and WorkingDir, with our entrypoint and a history entry per layer', async () => {
    const image = await assembleImage(build(busybox, 'echo one\n'), options);
    const pushed = await pushImage(image, { registry: registry.host, repository: 'fn/one' }, options);
    assert.equal(pushed.reference, `${registry.host}/fn/one@${image.digest}`);
    assert.equal(image.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const config = JSON.parse(skopeo(registry, 'inspect', '--config', `docker://${pushed.reference}`)) as {
      config: { Env: string[]; Entrypoint: string[]; Cmd?: string[]; WorkingDir?: string };
      history: { created_by?: string }[];
      rootfs: { diff_ids: string[] };
    };
    assert.deepEqual(config.config.Env, ['PATH=/bin', 'BASE_GREETING=from-the-base', 'CONTINUUM_MARK=1']);
    assert.deepEqual(config.config.Entrypoint, ['/bin/sh', '/opt/continuum/script.sh']);
    assert.equal(config.config.Cmd, undefined);
    assert.equal(config.config.WorkingDir, '/tmp');
    assert.deepEqual(
      config.history.map((h) => h.created_by),
      ['continuum test base', 'serverless-continuum: the supervisor', 'serverless-continuum: the script'],
    );
    assert.equal(config.rootfs.diff_ids.length, 3);
  });

  test('the same inputs give the same digest, and pushing it again uploads nothing', async () => {
    const first = await assembleImage(build(busybox, 'echo same\n'), options);
    const other = await assembleImage(build(busybox, 'echo same\n'), {
      ...options,
      cacheDir: mkdtempSync(join(tmpdir(), 'continuum-image-cache-')),
    });
    assert.equal(other.digest, first.digest);
    await pushImage(first, { registry: registry.host, repository: 'fn/same' }, options);
    const again = await pushImage(first, { registry: registry.host, repository: 'fn/same' }, options);
    assert.deepEqual([again.uploadedBlobs, again.uploadedBytes], [0, 0]);
  });

  test('a script-only change re-pushes one layer (and the new config), counted at the registry', async () => {
    const target = { registry: registry.host, repository: 'fn/script' };
    await pushImage(await assembleImage(build(busybox, 'echo v1\n'), options), target, options);
    const before = registry.requests.filter(
      (r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/'),
    ).length;
    const changed = await assembleImage(build(busybox, 'echo v2\n'), options);
    const pushed = await pushImage(changed, target, options);
    const uploads =
      registry.requests.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')).length -
      before;
    assert.equal(pushed.uploadedBlobs, 2, 'the script layer and the config');
    assert.equal(uploads, 2);
    assert.ok(pushed.uploadedBytes < 4096, `${pushed.uploadedBytes} bytes`);
  });

  test('base layers of the same registry are mounted, not uploaded', async () => {
    const pushed = await pushImage(
      await assembleImage(build(busybox, 'echo mount\n'), options),
      { registry: registry.host, repository: 'fn/mounted' },
      options,
    );
    assert.equal(pushed.mountedBlobs, 1);
    assert.equal(pushed.uploadedBlobs, 3);
  });

  test('base layers of another registry come through the cache, checked by digest, and are uploaded', async () => {
    const other = await startRegistry({ auth: 'htpasswd' });
    try {
      const both = dockerConfigWith(registry);
      const config = JSON.parse(readFileSync(join(both, 'config.json'), 'utf8')) as {
        auths: Record<string, unknown>;
      };
      config.auths[other.host] = config.auths[registry.host];
      writeFileSync(join(both, 'config.json'), JSON.stringify(config));
      const withBoth = { ...options, dockerConfig: both, ca: `${registry.cert}\n${other.cert}` };
      const image = await assembleImage(build(busybox, 'echo elsewhere\n'), withBoth);
      const phases = new Set<string>();
      const pushed = await pushImage(
        image,
        { registry: other.host, repository: 'fn/elsewhere' },
        {
          ...withBoth,
          onProgress: (p) => phases.add(p.phase),
        },
      );
      assert.deepEqual([pushed.uploadedBlobs, pushed.mountedBlobs], [4, 0]);
      assert.deepEqual([...phases].sort(), ['pull', 'push']);
      const raw = JSON.parse(
        execFileSync(
          'skopeo',
          [
            'inspect',
            '--raw',
            '--cert-dir',
            other.certDir,
            '--creds',
            skopeoCreds(),
            `docker://${pushed.reference}`,
          ],
          { encoding: 'utf8' },
        ),
      ) as { layers: unknown[] };
      assert.equal(raw.layers.length, 3);
    } finally {
      await other.close();
    }
  });

  test('an OCI index resolves to the function platform; the pushed image is that one manifest, in OCI format', async () => {
    const image = await assembleImage(build(glibc, 'echo glibc\n'), options);
    assert.equal(image.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    const pushed = await pushImage(image, { registry: registry.host, repository: 'fn/glibc' }, options);
    const raw = JSON.parse(skopeo(registry, 'inspect', '--raw', `docker://${pushed.reference}`)) as {
      mediaType: string;
      layers: unknown[];
    };
    assert.equal(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(raw.layers.length, 3);
    const config = JSON.parse(skopeo(registry, 'inspect', '--config', `docker://${pushed.reference}`)) as {
      config: { User?: string };
      architecture: string;
    };
    assert.equal(config.config.User, '65534');
    assert.equal(config.architecture, process.arch === 'arm64' ? 'arm64' : 'amd64');
  });

  test('a base built for another architecture is refused, naming both', async () => {
    const other = process.arch === 'arm64' ? 'x86_64' : 'arm64';
    await assert.rejects(
      assembleImage({ ...build(busybox, 'echo\n'), architecture: other }, options),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`base/busybox:1 is built for (amd64|arm64), and the function runs on ${other}`),
        );
        return true;
      },
    );
  });

  test('a wrong password fails naming the registry, and the password appears nowhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'continuum-docker-config-'));
    const wrong = 'not-the-password-4711';
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { username: 'continuum', password: wrong } } }),
    );
    const cache = mkdtempSync(join(tmpdir(), 'continuum-image-cache-'));
    await assert.rejects(
      assembleImage(build(busybox, 'echo\n'), { ...options, cacheDir: cache, dockerConfig: dir }),
      (error: Error) => {
        assert.match(error.message, new RegExp(`at ${registry.host}: 401`));
        assert.ok(!error.message.includes(wrong));
        return true;
      },
    );
    rmSync(cache, { recursive: true, force: true });
  });

  test('no password or Basic header is written under the cache folder', () => {
    const basic = Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64');
    for (const path of filesUnder(cacheDir)) {
      const text = readFileSync(path).toString('latin1');
      assert.ok(!text.includes(REGISTRY_USER.password) && !text.includes(basic), path);
    }
  });
});

describe('core/image with a registry behind token auth (the Bearer flow)', { skip: !tools }, () => {
  let registry: TestRegistry;
  let cacheDir: string;

  before(async () => {
    registry = await startRegistry({ auth: 'token' });
    cacheDir = mkdtempSync(join(tmpdir(), 'continuum-image-cache-'));
  });
  after(async () => {
    await registry?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  test('gets a token from the realm with the Docker credentials and pushes; no token is kept in the cache', async (t) => {
    if (!needImageTools(t)) return;
    const options = { cacheDir, ca: registry.cert, dockerConfig: dockerConfigWith(registry) };
    const base = await loadBusyboxBase(registry);
    const image = await assembleImage(build(base, 'echo token\n'), options);
    const pushed = await pushImage(image, { registry: registry.host, repository: 'fn/token' }, options);
    assert.equal(pushed.reference, `${registry.host}/fn/token@${image.digest}`);
    assert.ok(registry.tokens.length > 0);
    for (const path of filesUnder(cacheDir)) {
      const text = readFileSync(path).toString('latin1');
      for (const token of registry.tokens) assert.ok(!text.includes(token.split('.')[2]!), path);
    }
  });

  test('anonymous access is refused by the token server with a clear error', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'continuum-docker-config-'));
    await assert.rejects(
      assembleImage(build(`${registry.host}/base/busybox:1`, 'echo\n'), {
        cacheDir,
        ca: registry.cert,
        dockerConfig: empty,
      }),
      /the token server https:\/\/127\.0\.0\.1:\d+ answered 401 to an anonymous request/,
    );
  });
});

test('the registry tests run here or say how to install what they need', (t) => {
  needImageTools(t);
});
