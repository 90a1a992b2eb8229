// Node.js taken from an official Node.js image through the registry client: the platform's manifest, its layers
// (cached by digest) merged with their whiteouts, then /usr/local/bin/node and the loader and libraries it links.
import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ContinuumError } from '../errors';
import { resolveImage } from './assemble';
import { readElf } from './elf';
import { closing, registryOf, session } from './session';
import { tarEntries, type LayerTarEntry } from './tar';
import type { ImageArchitecture, ImageOptions } from './index';

/** Where the official images keep the binary. */
export const IMAGE_NODE_PATH = '/usr/local/bin/node';

/** A file of a merged root: a regular file's bytes, or a link to follow. */
export type RootEntry =
  { type: 'file'; bytes: Buffer } | { type: 'directory' } | { type: 'symlink'; target: string };

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

function removeTree(root: Map<string, RootEntry>, path: string, keepSelf: boolean): void {
  if (path === '') return root.clear();
  if (!keepSelf) root.delete(path);
  const prefix = `${path}/`;
  for (const key of root.keys()) if (key.startsWith(prefix)) root.delete(key);
}

/**
 * The root filesystem of layers applied in order (paths relative, no leading slash): a `.wh.<name>` removes that
 * path of the layers below, a `.wh..wh..opq` empties its folder of them, a hard link copies what it names.
 */
export function mergeLayers(layers: Iterable<Iterable<LayerTarEntry>>): Map<string, RootEntry> {
  const root = new Map<string, RootEntry>();
  for (const layer of layers) {
    const entries = [...layer];
    // Whiteouts apply to the layers below only, wherever they stand in this one.
    for (const entry of entries) {
      const name = posix.basename(entry.path);
      const dir = posix.dirname(entry.path);
      if (name === OPAQUE) removeTree(root, dir === '.' ? '' : dir, true);
      else if (name.startsWith(WHITEOUT))
        removeTree(root, posix.join(dir, name.slice(WHITEOUT.length)), false);
    }
    for (const entry of entries) {
      if (posix.basename(entry.path).startsWith(WHITEOUT)) continue;
      // A tar need not list the folders of its files.
      for (let dir = posix.dirname(entry.path); dir !== '.'; dir = posix.dirname(dir)) {
        if (!root.has(dir)) root.set(dir, { type: 'directory' });
      }
      if (entry.type !== 'directory') removeTree(root, entry.path, true);
      if (entry.type === 'file')
        root.set(entry.path, { type: 'file', bytes: entry.bytes ?? Buffer.alloc(0) });
      else if (entry.type === 'directory') root.set(entry.path, { type: 'directory' });
      else if (entry.type === 'symlink')
        root.set(entry.path, { type: 'symlink', target: entry.target ?? '' });
      else {
        const linked = root.get(entry.target ?? '');
        if (linked) root.set(entry.path, linked);
      }
    }
  }
  return root;
}

/** An absolute path inside the root with every symlink followed (as the kernel would, 40 at most). */
export function resolveInRoot(
  root: Map<string, RootEntry>,
  path: string,
): { path: string; bytes: Buffer } | undefined {
  let parts = path.split('/').filter((p) => p && p !== '.');
  let done: string[] = [];
  for (let hops = 0; parts.length;) {
    const part = parts.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = [...done, part].join('/');
    const entry = root.get(here);
    if (!entry) return undefined;
    if (entry.type === 'symlink') {
      if (++hops > 40) return undefined;
      const target = entry.target.split('/').filter((p) => p && p !== '.');
      if (entry.target.startsWith('/')) done = [];
      parts = [...target, ...parts];
      continue;
    }
    done.push(part);
    if (entry.type === 'file') return parts.length ? undefined : { path: `/${here}`, bytes: entry.bytes };
  }
  return undefined;
}

const TRIPLET: Record<ImageArchitecture, string> = { x86_64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** The folders glibc's loader searches by default (Debian's multiarch ones first). */
function searchDirs(architecture: ImageArchitecture): string[] {
  const triplet = TRIPLET[architecture];
  return [
    `/lib/${triplet}`,
    `/usr/lib/${triplet}`,
    '/lib64',
    '/usr/lib64',
    '/lib',
    '/usr/lib',
    '/usr/local/lib',
  ];
}

export interface ImageRuntimeFiles {
  node: Buffer;
  /** The loader's file name (`ld-linux-x86-64.so.2`). */
  loader: string;
  /** Loader and libraries by file name. */
  libraries: Map<string, Buffer>;
}

/** The node binary of a merged root and the loader and libraries it links, all of `architecture`. */
export function runtimeInRoot(
  root: Map<string, RootEntry>,
  architecture: ImageArchitecture,
  reference: string,
): ImageRuntimeFiles {
  const node = resolveInRoot(root, IMAGE_NODE_PATH);
  if (!node)
    throw new ContinuumError('CONTINUUM_IMAGE', `${reference} (${architecture}) has no ${IMAGE_NODE_PATH}`);
  const top = readElf(node.bytes, `${reference}:${IMAGE_NODE_PATH}`);
  if (top.machine !== architecture) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${reference}:${IMAGE_NODE_PATH} is built for ${top.machine}, not ${architecture}`,
    );
  }
  if (!top.interpreter) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${reference}:${IMAGE_NODE_PATH} is statically linked or has no loader: it needs no runtime libraries layer`,
    );
  }
  const loaderFile = resolveInRoot(root, top.interpreter);
  if (!loaderFile) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${reference} has no ${top.interpreter}, the loader of ${IMAGE_NODE_PATH}`,
    );
  }
  const loader = posix.basename(top.interpreter);
  const libraries = new Map<string, Buffer>([[loader, loaderFile.bytes]]);
  const queue = [...top.needed];
  while (queue.length) {
    const library = queue.shift()!;
    if (libraries.has(library)) continue;
    let found: { path: string; bytes: Buffer } | undefined;
    let needed: string[] = [];
    // Like the loader, a library of another machine is passed over and the search goes on.
    for (const dir of library.includes('/') ? [''] : searchDirs(architecture)) {
      const candidate = resolveInRoot(root, posix.join('/', dir, library));
      if (!candidate) continue;
      const linking = readElf(candidate.bytes, `${reference}:${candidate.path}`);
      if (linking.machine !== architecture) continue;
      found = candidate;
      needed = linking.needed;
      break;
    }
    if (!found) {
      throw new ContinuumError(
        'CONTINUUM_IMAGE',
        `${reference} has no ${architecture} ${library} (needed by ${IMAGE_NODE_PATH}) in ${searchDirs(architecture).join(', ')}`,
      );
    }
    libraries.set(posix.basename(library), found.bytes);
    queue.push(...needed);
  }
  return { node: node.bytes, loader, libraries };
}

interface RuntimeRecord {
  node: string;
  loader: string;
  libraries: [string, string][];
}

/**
 * The runtime files of `reference` for `architecture`, as blobs of the cache: read from the image's layers once
 * per platform manifest, then from a record (a digest-pinned reference then asks the registry nothing).
 */
export async function imageRuntime(
  reference: string,
  architecture: ImageArchitecture,
  options: ImageOptions,
): Promise<{ node: string; loader: string; libraries: Map<string, string>; manifest: string }> {
  const s = session(options);
  return closing(s, async () => {
    const image = await resolveImage(reference, architecture, options, s);
    const key = `${image.digest.slice('sha256:'.length)}-${architecture}`;
    const known = s.cache.readRecord<RuntimeRecord>('runtimes', key);
    const inCache = (record: RuntimeRecord) =>
      s.cache.has(record.node) && record.libraries.every(([, digest]) => s.cache.has(digest));
    let record: RuntimeRecord;
    if (known && inCache(known)) record = known;
    else {
      const registry = registryOf(image.registry, options, s);
      const total = image.manifest.layers.reduce((sum, l) => sum + l.size, 0);
      let done = 0;
      for (const layer of image.manifest.layers) {
        if (!s.cache.has(layer.digest)) {
          const partial = s.cache.partialPath('layer');
          await registry.downloadBlob(image.repository, layer.digest, partial, (bytes) => {
            done += bytes;
            options.onProgress?.({ phase: 'pull', done, total });
          });
          s.cache.adopt(partial, layer.digest);
        } else done += layer.size;
      }
      const root = mergeLayers(
        image.manifest.layers.map((layer) => tarEntries(gunzipSync(s.cache.read(layer.digest)))),
      );
      const files = runtimeInRoot(root, architecture, reference);
      record = {
        node: s.cache.write(files.node),
        loader: files.loader,
        libraries: [...files.libraries].map(([name, bytes]) => [name, s.cache.write(bytes)]),
      };
      s.cache.writeRecord('runtimes', key, record);
    }
    return {
      node: s.cache.path(record.node),
      loader: record.loader,
      libraries: new Map(record.libraries.map(([name, digest]) => [name, s.cache.path(digest)])),
      manifest: image.digest,
    };
  });
}
