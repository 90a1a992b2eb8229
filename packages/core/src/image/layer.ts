// The plugin's own layers: the files of an `ImageLayer` as a reproducible gzip tar, cached by the digest of
// its inputs so an unchanged layer is neither rebuilt nor, once the registry has it, uploaded again.
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ContinuumError } from '../errors';
import { BlobCache, sha256 } from './cache';
import { tarArchive, type TarEntry } from './tar';
import type { ImageFile, ImageLayer } from './index';

export interface BuiltLayer {
  description: string;
  /** Digest of the gzip blob. */
  digest: string;
  /** Digest of the uncompressed tar (the config's `rootfs.diff_ids`). */
  diffId: string;
  size: number;
  uncompressedSize: number;
}

// Bumped whenever the bytes a layer is made of change for the same inputs (tar layout, compression).
const LAYER_FORMAT = 'continuum-layer-1';

function fileBytes(file: ImageFile): Uint8Array {
  if ('file' in file.source) return readFileSync(file.source.file);
  const { bytes } = file.source;
  return typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
}

/**
 * The digest of a file's content, remembered by its path, size, inode and modification time: hashing the
 * 100 MB Node.js binary on every build would cost more than the rest of a warm build.
 */
function contentDigest(file: ImageFile, cache: BlobCache): string {
  if (!('file' in file.source)) return sha256(fileBytes(file));
  const path = file.source.file;
  const stat = statSync(path, { bigint: true });
  const key = sha256(JSON.stringify([path, String(stat.size), String(stat.ino), String(stat.mtimeNs)])).slice(
    7,
  );
  const known = cache.readRecord<{ digest: string }>('files', key);
  if (known) return known.digest;
  const digest = sha256(readFileSync(path));
  cache.writeRecord('files', key, { digest });
  return digest;
}

function archivePath(path: string, layer: string): string {
  const normal = posix.normalize(path);
  if (!posix.isAbsolute(path) || normal !== path || normal === '/' || path.endsWith('/')) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${layer}: "${path}" is not an absolute file path in the image`,
    );
  }
  return normal.slice(1);
}

interface LayerEntry extends TarEntry {
  file?: ImageFile;
}

/** The tar entries of a layer: every parent folder (0755), then the files (0644 or 0755), sorted by path. */
function entriesOf(layer: ImageLayer): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const file of layer.files) {
    const path = archivePath(file.path, layer.description);
    if (byPath.has(path))
      throw new ContinuumError('CONTINUUM_IMAGE', `${layer.description}: ${file.path} is added twice`);
    for (let dir = posix.dirname(path); dir !== '.'; dir = posix.dirname(dir)) {
      if (byPath.get(dir)?.type === 'file') {
        throw new ContinuumError(
          'CONTINUUM_IMAGE',
          `${layer.description}: /${dir} is both a file and a folder`,
        );
      }
      byPath.set(dir, { path: dir, type: 'directory', mode: 0o755 });
    }
    byPath.set(path, { path, type: 'file', mode: file.executable ? 0o755 : 0o644, file });
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Gzip with the header's time and system fields fixed, so the blob depends on the tar bytes alone. */
export function reproducibleGzip(tar: Uint8Array): Buffer {
  const gzip = gzipSync(tar, { level: 6 });
  gzip.writeUInt32LE(0, 4);
  gzip[9] = 3;
  return gzip;
}

/** Builds (or finds in the cache) one layer; `onBuild` is told when the bytes had to be compressed. */
export function buildLayer(
  layer: ImageLayer,
  cache: BlobCache,
  onBuild?: (bytes: number) => void,
): BuiltLayer {
  const entries = entriesOf(layer);
  const inputs = entries.map((e) => [e.path, e.type, e.mode, e.file ? contentDigest(e.file, cache) : '']);
  const key = sha256(JSON.stringify([LAYER_FORMAT, inputs])).slice('sha256:'.length);
  const known = cache.readRecord<Omit<BuiltLayer, 'description'>>('layers', key);
  if (known && cache.has(known.digest)) return { ...known, description: layer.description };
  const tar = tarArchive(
    entries.map(({ file, ...entry }) => (file ? { ...entry, bytes: fileBytes(file) } : entry)),
  );
  onBuild?.(tar.length);
  const gzip = reproducibleGzip(tar);
  const built = {
    digest: cache.write(gzip),
    diffId: sha256(tar),
    size: gzip.length,
    uncompressedSize: tar.length,
  };
  cache.writeRecord('layers', key, built);
  return { ...built, description: layer.description };
}
