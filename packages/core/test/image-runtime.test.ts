// The Node.js runtime taken from an official-like Node.js image in a real registry (docker-registry on loopback,
// TLS and htpasswd): the platform chosen from the index, the node binary and what it links read from the merged
// layers, the runtime layer's files per platform, and the cache; whiteouts and symlinks as a unit specification.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  assembleImage,
  defaultRuntime,
  nodeRuntimeLayer,
  PINNED_NODE_IMAGE,
  PINNED_NODE_RUNTIMES,
  type ImageFile,
  type ImageOptions,
} from '../src/image';
import { mergeLayers, resolveInRoot, runtimeInRoot } from '../src/image/runtime-image';
import type { LayerTarEntry } from '../src/image/tar';
import {
  ARM64_NODE_FILES,
  craftedElf,
  hostNodeLibraries,
  loadGlibcBase,
  loadNodeImage,
} from '../../../test/harness/base-images';
import {
  missingImageTools,
  REGISTRY_USER,
  startRegistry,
  type TestRegistry,
} from '../../../test/harness/registry';

const tools = !missingImageTools.length;
const x64 = process.platform === 'linux' && process.arch === 'x64';

function digestOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sourceBytes(file: ImageFile): Buffer {
  return 'file' in file.source ? readFileSync(file.source.file) : Buffer.from(file.source.bytes);
}

describe('the runtime from a Node.js image in a registry', { skip: !tools || !x64 }, () => {
  let registry: TestRegistry;
  let node: string;
  let glibc: string;
  let cacheDir: string;
  let options: ImageOptions;
  const libraries = x64 ? hostNodeLibraries() : new Map<string, string>();

  before(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    node = await loadNodeImage(registry, libraries);
    glibc = await loadGlibcBase(registry);
    cacheDir = mkdtempSync(join(tmpdir(), 'continuum-runtime-cache-'));
    const docker = mkdtempSync(join(tmpdir(), 'continuum-docker-config-'));
    const auth = Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64');
    writeFileSync(join(docker, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    options = { cacheDir, ca: registry.cert, dockerConfig: docker, runtime: { image: node } };
  });
  after(async () => {
    await registry?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  test('x86_64 takes the image’s node and the loader and libraries it links, which run here', async () => {
    const runtime = await nodeRuntimeLayer('x86_64', options);
    const names = [...libraries.keys()].sort();
    assert.deepEqual(
      runtime.layer.files.map((f) => f.path),
      ['/opt/continuum/node', ...names.map((n) => `/opt/continuum/lib/${n}`)],
    );
    assert.ok(names.includes('ld-linux-x86-64.so.2') && names.includes('libc.so.6'), names.join(' '));
    assert.deepEqual(runtime.command, [
      '/opt/continuum/lib/ld-linux-x86-64.so.2',
      '--library-path',
      '/opt/continuum/lib',
      '/opt/continuum/node',
    ]);
    assert.match(runtime.layer.description, /node:20, sha256:[a-f0-9]{64}, x86_64/);
    const [nodeFile, ...libraryFiles] = runtime.layer.files;
    assert.equal(digestOf(sourceBytes(nodeFile!)), digestOf(readFileSync(process.execPath)));
    // The files as the layer lays them out, started through their own loader.
    const dir = mkdtempSync(join(tmpdir(), 'continuum-runtime-run-'));
    try {
      writeFileSync(join(dir, 'node'), sourceBytes(nodeFile!), { mode: 0o755 });
      for (const file of libraryFiles) {
        writeFileSync(join(dir, file.path.split('/').pop()!), sourceBytes(file), { mode: 0o755 });
      }
      const version = execFileSync(
        join(dir, 'ld-linux-x86-64.so.2'),
        ['--library-path', dir, nodeFile!.path.replace('/opt/continuum', dir), '-p', 'process.version'],
        { encoding: 'utf8' },
      );
      assert.equal(version.trim(), process.version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('arm64 takes the arm64 manifest of the index: its aarch64 node, loader and libraries', async () => {
    const runtime = await nodeRuntimeLayer('arm64', options);
    const files = Object.fromEntries(
      runtime.layer.files.map((f) => [f.path, digestOf(sourceBytes(f))] as const),
    );
    assert.deepEqual(files, {
      '/opt/continuum/node': digestOf(ARM64_NODE_FILES.node),
      '/opt/continuum/lib/ld-linux-aarch64.so.1': digestOf(ARM64_NODE_FILES['ld-linux-aarch64.so.1']),
      '/opt/continuum/lib/libc.so.6': digestOf(ARM64_NODE_FILES['libc.so.6']),
      '/opt/continuum/lib/libm.so.6': digestOf(ARM64_NODE_FILES['libm.so.6']),
      '/opt/continuum/lib/libstdc++.so.6': digestOf(ARM64_NODE_FILES['libstdc++.so.6']),
    });
    assert.equal(runtime.command[0], '/opt/continuum/lib/ld-linux-aarch64.so.1');
  });

  test('an arm64 image is assembled on the arm64 platform of a base, its first added layer that runtime', async () => {
    const runtime = await nodeRuntimeLayer('arm64', options);
    const image = await assembleImage(
      {
        base: glibc,
        architecture: 'arm64',
        layers: [runtime.layer],
        config: { entrypoint: [...runtime.command, '/opt/continuum/supervisor.js'] },
      },
      options,
    );
    assert.equal(image.layers[0]?.description, runtime.layer.description);
    assert.match(runtime.layer.description, /, arm64\) with its loader and libraries$/);
  });

  test('an image that is not there fails naming it as the runtime’s source', async () => {
    const missing = `${registry.host}/library/node:18`;
    await assert.rejects(
      nodeRuntimeLayer('x86_64', { ...options, runtime: { image: missing } }),
      new RegExp(
        `^ContinuumError: the Node\\.js runtime for x86_64 comes from the image ${missing}: .*library/node:18 is not there \\(404\\)`,
      ),
    );
  });

  test('a second build pulls no blob; pinned by digest, it asks the registry nothing', async () => {
    const pulls: number[] = [];
    const counting = { ...options, onProgress: () => pulls.push(1) };
    const blobGets = () => registry.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'));
    await nodeRuntimeLayer('x86_64', options);
    const before = blobGets().length;
    await nodeRuntimeLayer('x86_64', counting);
    await nodeRuntimeLayer('arm64', counting);
    const index = execFileSync('skopeo', [
      'inspect',
      '--raw',
      '--cert-dir',
      registry.certDir,
      '--creds',
      `${REGISTRY_USER.username}:${REGISTRY_USER.password}`,
      `docker://${node}`,
    ]);
    const pinned = `${node}@sha256:${digestOf(index)}`;
    const first = await nodeRuntimeLayer('x86_64', { ...counting, runtime: { image: pinned } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = registry.requests.length;
    const again = await nodeRuntimeLayer('x86_64', { ...counting, runtime: { image: pinned } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(blobGets().length, before, 'no blob pulled again');
    assert.equal(registry.requests.length, seen, 'no request at all for a pinned image known here');
    assert.deepEqual(pulls, []);
    assert.deepEqual(again, first);
  });
});

test(
  'with no runtime setting: the npm package for this machine’s architecture, the official image for another',
  {
    skip: !x64,
  },
  () => {
    assert.deepEqual(defaultRuntime('x86_64'), PINNED_NODE_RUNTIMES.x86_64);
    assert.deepEqual(defaultRuntime('arm64'), { image: PINNED_NODE_IMAGE });
    assert.match(PINNED_NODE_IMAGE, /^node:20\.20\.2-bookworm-slim/);
  },
);

function layer(entries: Partial<LayerTarEntry>[]): LayerTarEntry[] {
  return entries.map((e) => ({ mode: 0o644, type: 'file', path: '', ...e }) as LayerTarEntry);
}

const bytes = (text: string) => Buffer.from(text);

describe('an image’s merged layers', () => {
  test('a whiteout removes a path of the layers below, an opaque folder empties it of them', () => {
    const root = mergeLayers([
      layer([
        { path: 'usr/local/bin/node', bytes: bytes('old') },
        { path: 'opt/a', bytes: bytes('a') },
        { path: 'etc/x', bytes: bytes('x') },
      ]),
      layer([
        { path: 'usr/local/bin/.wh.node' },
        { path: 'opt/.wh..wh..opq' },
        { path: 'opt/b', bytes: bytes('b') },
      ]),
    ]);
    const files = [...root].filter(([, entry]) => entry.type === 'file').map(([path]) => path);
    assert.deepEqual(files.sort(), ['etc/x', 'opt/b']);
  });

  test('symlinks are followed inside the root, absolute ones from its top, and hard links copy their file', () => {
    const root = mergeLayers([
      layer([
        { path: 'lib', type: 'symlink', target: 'usr/lib' },
        { path: 'usr/lib/x86_64-linux-gnu/libc.so.6', bytes: bytes('libc') },
        {
          path: 'usr/lib64/ld.so',
          type: 'symlink',
          target: '/lib/x86_64-linux-gnu/../x86_64-linux-gnu/libc.so.6',
        },
        { path: 'usr/bin/a', bytes: bytes('same') },
        { path: 'usr/bin/b', type: 'hardlink', target: 'usr/bin/a' },
      ]),
    ]);
    assert.equal(resolveInRoot(root, '/usr/lib64/ld.so')?.path, '/usr/lib/x86_64-linux-gnu/libc.so.6');
    assert.equal(resolveInRoot(root, '/usr/bin/b')?.bytes.toString(), 'same');
    assert.equal(resolveInRoot(root, '/lib/missing.so'), undefined);
  });

  test('a library of another machine is passed over, as the loader does; an image with no node is named', () => {
    const arm = ARM64_NODE_FILES;
    const root = mergeLayers([
      layer([
        { path: 'usr/local/bin/node', bytes: arm.node },
        { path: 'lib/ld-linux-aarch64.so.1', bytes: arm['ld-linux-aarch64.so.1'] },
        { path: 'lib/aarch64-linux-gnu/libc.so.6', bytes: craftedElf('x86_64', {}) },
        { path: 'usr/lib/libc.so.6', bytes: arm['libc.so.6'] },
        { path: 'usr/lib/libstdc++.so.6', bytes: arm['libstdc++.so.6'] },
        { path: 'usr/lib/libm.so.6', bytes: arm['libm.so.6'] },
      ]),
    ]);
    const files = runtimeInRoot(root, 'arm64', 'node:20');
    assert.equal(files.libraries.get('libc.so.6'), arm['libc.so.6']);
    assert.throws(
      () => runtimeInRoot(new Map(), 'arm64', 'node:20'),
      /node:20 \(arm64\) has no \/usr\/local\/bin\/node/,
    );
    assert.throws(() => runtimeInRoot(root, 'x86_64', 'node:20'), /is built for arm64, not x86_64/);
  });
});
