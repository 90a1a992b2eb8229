// Small base images for the image tests, made here from this machine's files and loaded into a test registry
// with skopeo (so the bases do not depend on the code under test): a static busybox root, and a glibc root
// laid out as merged /usr with a dynamically linked shell, as an OCI index that also names an arm64 image.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../packages/core/src/image/cache';
import { reproducibleGzip } from '../../packages/core/src/image/layer';
import { linkedLibraries } from '../../packages/core/src/image/runtime';
import { tarArchive, type TarEntry } from '../../packages/core/src/image/tar';
import type { TestRegistry } from './registry';
import { REGISTRY_USER } from './registry';

const BUSYBOX_TOOLS = [
  'sh',
  'cat',
  'echo',
  'ls',
  'tr',
  'wc',
  'id',
  'env',
  'sleep',
  'printf',
  'mkdir',
  'rm',
  'cp',
  // A streaming mapreduce job's programs on a busybox base (it has no Python).
  'awk',
];

function dir(path: string, mode = 0o755): TarEntry {
  return { path, type: 'directory', mode };
}

function file(path: string, bytes: Uint8Array | string, mode = 0o644): TarEntry {
  return { path, type: 'file', mode, bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes };
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';

/** A root filesystem of the static busybox and a few of its applets. */
export function busyboxRoot(): TarEntry[] {
  return [
    dir('bin'),
    file('bin/busybox', readFileSync('/bin/busybox'), 0o755),
    ...BUSYBOX_TOOLS.map((tool): TarEntry => ({
      path: `bin/${tool}`,
      type: 'symlink',
      mode: 0o777,
      target: 'busybox',
    })),
    dir('etc'),
    file('etc/passwd', PASSWD),
    dir('proc'),
    dir('tmp', 0o1777),
    dir('var'),
  ];
}

/** A merged-/usr glibc root: /bin and /lib are links into /usr, the shell is dash linked against glibc. */
export function glibcRoot(): TarEntry[] {
  const triplet = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const loader = process.arch === 'arm64' ? 'ld-linux-aarch64.so.1' : 'ld-linux-x86-64.so.2';
  const lib = (name: string) => readFileSync(realpathSync(`/lib/${triplet}/${name}`));
  const entries: TarEntry[] = [
    { path: 'bin', type: 'symlink', mode: 0o777, target: 'usr/bin' },
    { path: 'lib', type: 'symlink', mode: 0o777, target: 'usr/lib' },
    { path: 'lib64', type: 'symlink', mode: 0o777, target: 'usr/lib64' },
    dir('etc'),
    file('etc/passwd', PASSWD),
    dir('proc'),
    dir('tmp', 0o1777),
    dir('usr'),
    dir('usr/bin'),
    file('usr/bin/dash', readFileSync(realpathSync('/bin/dash')), 0o755),
    { path: 'usr/bin/sh', type: 'symlink', mode: 0o777, target: 'dash' },
    // Coreutils of the script come from busybox here too; the libc is what differs.
    file('usr/bin/busybox', readFileSync('/bin/busybox'), 0o755),
    ...BUSYBOX_TOOLS.filter((t) => t !== 'sh').map((tool): TarEntry => ({
      path: `usr/bin/${tool}`,
      type: 'symlink',
      mode: 0o777,
      target: 'busybox',
    })),
    dir('usr/lib'),
    dir(`usr/lib/${triplet}`),
    file(`usr/lib/${triplet}/libc.so.6`, lib('libc.so.6'), 0o755),
    dir('usr/lib64'),
  ];
  if (process.arch === 'arm64') entries.push(file(`usr/lib/${loader}`, lib(loader), 0o755));
  else entries.push(file(`usr/lib64/${loader}`, readFileSync(realpathSync(`/lib64/${loader}`)), 0o755));
  return entries.sort((a, b) => (a.path < b.path ? -1 : 1));
}

interface LayoutImage {
  architecture: 'amd64' | 'arm64';
  root: TarEntry[];
  /** Layers over the root, in order. */
  more?: TarEntry[][];
  env?: string[];
  user?: string;
  workingDir?: string;
}

/** Writes an OCI image layout (one image, or an index of several) and returns its folder. */
function writeLayout(images: LayoutImage[], tag: string): string {
  const layout = mkdtempSync(join(tmpdir(), 'continuum-base-'));
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer) => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const manifests = images.map((image) => {
    const tars = [image.root, ...(image.more ?? [])].map((entries) => tarArchive(entries));
    const layers = tars.map((tar) => put(reproducibleGzip(tar)));
    const config = put(
      Buffer.from(
        JSON.stringify({
          created: '2024-01-01T00:00:00Z',
          architecture: image.architecture,
          ...(image.architecture === 'arm64' ? { variant: 'v8' } : {}),
          os: 'linux',
          config: {
            Env: image.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
            Cmd: ['sh'],
            ...(image.user ? { User: image.user } : {}),
            ...(image.workingDir ? { WorkingDir: image.workingDir } : {}),
          },
          rootfs: { type: 'layers', diff_ids: tars.map((tar) => sha256(tar)) },
          history: [{ created: '2024-01-01T00:00:00Z', created_by: 'continuum test base' }],
        }),
      ),
    );
    const manifest = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: layers.map((layer) => ({
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            ...layer,
          })),
        }),
      ),
    );
    return {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      platform: {
        os: 'linux',
        architecture: image.architecture,
        ...(image.architecture === 'arm64' ? { variant: 'v8' } : {}),
      },
    };
  });
  let top = manifests[0]!;
  if (images.length > 1) {
    const index = put(
      Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
      ),
    );
    top = { ...manifests[0]!, mediaType: 'application/vnd.oci.image.index.v1+json', ...index };
  }
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: top.mediaType,
          digest: top.digest,
          size: top.size,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return layout;
}

export function skopeoCreds(): string {
  return `${REGISTRY_USER.username}:${REGISTRY_USER.password}`;
}

/** Copies an image layout into the registry with skopeo (asynchronously: the token server it asks is in this process). */
async function load(
  registry: TestRegistry,
  layout: string,
  tag: string,
  target: string,
  options: { format?: 'v2s2'; all?: boolean },
): Promise<void> {
  try {
    await promisify(execFile)('skopeo', [
      'copy',
      '--quiet',
      ...(options.all ? ['--multi-arch', 'all'] : []),
      ...(options.format ? ['--format', options.format] : []),
      '--dest-cert-dir',
      registry.certDir,
      '--dest-creds',
      skopeoCreds(),
      `oci:${layout}:${tag}`,
      `docker://${registry.host}/${target}`,
    ]);
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

/** Loads `busybox:1` (Docker v2s2, amd64 or this machine's arch) into the registry. */
export async function loadBusyboxBase(registry: TestRegistry, repository = 'base/busybox'): Promise<string> {
  const architecture = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const layout = writeLayout(
    [
      {
        architecture,
        root: busyboxRoot(),
        env: ['PATH=/bin', 'BASE_GREETING=from-the-base'],
        workingDir: '/tmp',
      },
    ],
    'v1',
  );
  await load(registry, layout, 'v1', `${repository}:1`, { format: 'v2s2' });
  return `${registry.host}/${repository}:1`;
}

/** Loads `glibc:1`, an OCI index of this machine's architecture and a tiny arm64 (or amd64) other. */
export async function loadGlibcBase(registry: TestRegistry, repository = 'base/glibc'): Promise<string> {
  const here = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const other = here === 'arm64' ? 'amd64' : 'arm64';
  const layout = writeLayout(
    [
      { architecture: here, root: glibcRoot(), user: '65534', env: ['PATH=/usr/bin:/bin'] },
      { architecture: other, root: [dir('tmp', 0o1777), file('etc/other-platform', other)] },
    ],
    'v1',
  );
  await load(registry, layout, 'v1', `${repository}:1`, { all: true });
  return `${registry.host}/${repository}:1`;
}

/**
 * A tiny ELF file of `machine` with a loader and DT_NEEDED libraries: enough for the linking to be read, never to
 * run (it stands for another architecture's files).
 */
export function craftedElf(
  machine: 'arm64' | 'x86_64',
  linking: { interpreter?: string; needed?: string[] },
): Buffer {
  const needed = linking.needed ?? [];
  const strings = Buffer.from(`\0${needed.map((n) => `${n}\0`).join('')}`);
  const interp = linking.interpreter ? Buffer.from(`${linking.interpreter}\0`) : Buffer.alloc(0);
  const phnum = linking.interpreter ? 3 : 2;
  const stringsAt = 64 + phnum * 56;
  const interpAt = stringsAt + strings.length;
  const dynamicAt = Math.ceil((interpAt + interp.length) / 8) * 8;
  const dynamic = Buffer.alloc((needed.length + 2) * 16);
  let offset = 0;
  for (let i = 0, at = 1; i < needed.length; at += Buffer.byteLength(needed[i]!) + 1, i++) {
    dynamic.writeBigInt64LE(1n, offset);
    dynamic.writeBigUInt64LE(BigInt(at), offset + 8);
    offset += 16;
  }
  dynamic.writeBigInt64LE(5n, offset);
  dynamic.writeBigUInt64LE(BigInt(stringsAt), offset + 8);
  const size = dynamicAt + dynamic.length;
  const elf = Buffer.alloc(size);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2;
  elf[5] = 1;
  elf[6] = 1;
  elf.writeUInt16LE(3, 16);
  elf.writeUInt16LE(machine === 'arm64' ? 183 : 62, 18);
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(64n, 32);
  elf.writeUInt16LE(64, 52);
  elf.writeUInt16LE(56, 54);
  elf.writeUInt16LE(phnum, 56);
  const header = (i: number, type: number, at: number, length: number) => {
    const start = 64 + i * 56;
    elf.writeUInt32LE(type, start);
    elf.writeBigUInt64LE(BigInt(at), start + 8);
    elf.writeBigUInt64LE(BigInt(at), start + 16);
    elf.writeBigUInt64LE(BigInt(length), start + 32);
  };
  header(0, 1, 0, size);
  header(1, 2, dynamicAt, dynamic.length);
  if (linking.interpreter) header(2, 3, interpAt, interp.length);
  strings.copy(elf, stringsAt);
  interp.copy(elf, interpAt);
  dynamic.copy(elf, dynamicAt);
  return elf;
}

function link(path: string, target: string): TarEntry {
  return { path, type: 'symlink', mode: 0o777, target };
}

/** The aarch64 files of the test node image: a node, its loader and three libraries, one behind a symlink. */
export const ARM64_NODE_FILES = {
  node: craftedElf('arm64', {
    interpreter: '/lib/ld-linux-aarch64.so.1',
    needed: ['libstdc++.so.6', 'libc.so.6'],
  }),
  'ld-linux-aarch64.so.1': craftedElf('arm64', {}),
  'libc.so.6': craftedElf('arm64', { needed: ['ld-linux-aarch64.so.1'] }),
  'libm.so.6': craftedElf('arm64', { needed: ['libc.so.6'] }),
  'libstdc++.so.6': craftedElf('arm64', { needed: ['libm.so.6', 'libc.so.6'] }),
};

/** The loader and libraries this machine's node links (x86_64), by file name: what its runtime layer holds. */
export function hostNodeLibraries(): Map<string, string> {
  const dirs = [
    '/lib/x86_64-linux-gnu',
    '/usr/lib/x86_64-linux-gnu',
    '/lib64',
    '/usr/lib64',
    '/lib',
    '/usr/lib',
  ];
  return linkedLibraries(
    process.execPath,
    'x86_64',
    dirs.filter((d) => existsSync(d)),
    true,
  ).files;
}

/**
 * Loads `node:20`, an official-image-like OCI index: for this machine's architecture its node binary and the
 * loader and libraries it links in a merged-/usr Debian layout (node in a second layer, under /usr/local/bin),
 * for the other one crafted aarch64 (or x86_64) files. Returns the reference and the libraries' host paths.
 */
export async function loadNodeImage(
  registry: TestRegistry,
  hostLibraries: Map<string, string>,
  repository = 'library/node',
): Promise<string> {
  const here = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const triplet = here === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const libs: TarEntry[] = [];
  for (const [name, path] of hostLibraries) {
    const real = path.split('/').pop()!;
    libs.push(file(`usr/lib/${triplet}/${real}`, readFileSync(path), 0o755));
    if (real !== name) libs.push(link(`usr/lib/${triplet}/${name}`, real));
  }
  const loaderLink =
    here === 'arm64'
      ? link('usr/lib/ld-linux-aarch64.so.1', `${triplet}/ld-linux-aarch64.so.1`)
      : link('usr/lib64/ld-linux-x86-64.so.2', `/lib/${triplet}/ld-linux-x86-64.so.2`);
  const merged = (entries: TarEntry[]) => [
    link('bin', 'usr/bin'),
    link('lib', 'usr/lib'),
    link('lib64', 'usr/lib64'),
    dir('tmp', 0o1777),
    dir('usr'),
    dir('usr/lib'),
    dir(`usr/lib/${entries === libs ? triplet : 'aarch64-linux-gnu'}`),
    dir('usr/lib64'),
    ...entries,
  ];
  const arm = ARM64_NODE_FILES;
  const otherRoot: TarEntry[] = merged([
    file('usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1', arm['ld-linux-aarch64.so.1'], 0o755),
    link('usr/lib/ld-linux-aarch64.so.1', 'aarch64-linux-gnu/ld-linux-aarch64.so.1'),
    file('usr/lib/aarch64-linux-gnu/libc.so.6', arm['libc.so.6'], 0o755),
    file('usr/lib/aarch64-linux-gnu/libm.so.6', arm['libm.so.6'], 0o755),
    file('usr/lib/aarch64-linux-gnu/libstdc++.so.6.0.30', arm['libstdc++.so.6'], 0o755),
    link('usr/lib/aarch64-linux-gnu/libstdc++.so.6', 'libstdc++.so.6.0.30'),
  ]);
  const nodeLayer = (bytes: Buffer): TarEntry[] => [
    dir('usr/local'),
    dir('usr/local/bin'),
    file('usr/local/bin/node', bytes, 0o755),
  ];
  const layout = writeLayout(
    [
      {
        architecture: here,
        root: [...merged(libs), loaderLink].sort((a, b) => (a.path < b.path ? -1 : 1)),
        more: [nodeLayer(readFileSync(process.execPath))],
      },
      {
        architecture: here === 'arm64' ? 'amd64' : 'arm64',
        root: otherRoot.sort((a, b) => (a.path < b.path ? -1 : 1)),
        more: [nodeLayer(arm.node)],
      },
    ],
    'v1',
  );
  await load(registry, layout, 'v1', `${repository}:20`, { all: true });
  return `${registry.host}/${repository}:20`;
}
