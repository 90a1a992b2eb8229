// Pushing an assembled image: HEAD first (manifest, then blobs), mounts from the base's repository of the same
// registry, base layers of another registry through the cache, uploads of what is missing, then the manifest.
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { ContinuumError } from '../errors';
import type { ImageManifest } from './manifest';
import { ensureEcrRepository } from './ecr';
import { closing, registryOf, session } from './session';
import type { AssembledImage, ImageOptions, PushResult, PushTarget } from './index';

/** Runs `work` over `items`, `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Pushes what the target does not have yet (HEAD first, mount when the base is in the same registry), then the manifest. */
export async function pushImage(
  image: AssembledImage,
  target: PushTarget,
  options: ImageOptions,
): Promise<PushResult> {
  const s = session(options);
  return closing(s, async () => {
    if (!s.cache.has(image.digest)) {
      throw new ContinuumError(
        'CONTINUUM_IMAGE',
        `the manifest ${image.digest} is not in ${options.cacheDir}: assemble the image first`,
      );
    }
    const manifestBytes = s.cache.read(image.digest);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as ImageManifest;
    const reference = `${target.registry}/${target.repository}@${image.digest}`;
    const result: PushResult = { reference, uploadedBytes: 0, uploadedBlobs: 0, mountedBlobs: 0 };
    await ensureEcrRepository(target, options);
    const registry = registryOf(target.registry, options, s);
    const put = { mediaType: image.mediaType, digest: image.digest, bytes: manifestBytes };
    if (await registry.hasManifest(target.repository, image.digest)) {
      if (target.tag) await registry.putManifest(target.repository, target.tag, put);
      return result;
    }
    const blobs = [manifest.config, ...manifest.layers];
    const missing: typeof blobs = [];
    await eachLimited(blobs, 4, async (blob) => {
      if (!(await registry.hasBlob(target.repository, blob.digest))) missing.push(blob);
    });
    const sameRegistry = image.base.registry === target.registry;
    const toSend: typeof blobs = [];
    for (const blob of missing) {
      if (
        !s.cache.has(blob.digest) &&
        sameRegistry &&
        (await registry.mountBlob(target.repository, blob.digest, image.base.repository))
      ) {
        result.mountedBlobs++;
      } else toSend.push(blob);
    }
    // Base layers of another registry come through the cache, checked against their digest on the way.
    const toPull = toSend.filter((blob) => !s.cache.has(blob.digest));
    const pullTotal = toPull.reduce((sum, b) => sum + b.size, 0);
    let pulled = 0;
    const source = registryOf(image.base.registry, options, s);
    await eachLimited(toPull, 3, async (blob) => {
      const partial = s.cache.partialPath('layer');
      await source.downloadBlob(image.base.repository, blob.digest, partial, (bytes) => {
        pulled += bytes;
        options.onProgress?.({ phase: 'pull', done: pulled, total: pullTotal });
      });
      s.cache.adopt(partial, blob.digest);
    });
    const pushTotal = toSend.reduce((sum, b) => sum + b.size, 0);
    let pushed = 0;
    options.onProgress?.({ phase: 'push', done: 0, total: pushTotal });
    await eachLimited(toSend, 3, async (blob) => {
      const path = s.cache.path(blob.digest);
      await registry.uploadBlob(target.repository, blob.digest, blob.size, () => {
        const counted = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            pushed += chunk.length;
            options.onProgress?.({ phase: 'push', done: pushed, total: pushTotal });
            done(null, chunk);
          },
        });
        return createReadStream(path).pipe(counted);
      });
      result.uploadedBlobs++;
      result.uploadedBytes += blob.size;
    });
    await registry.putManifest(target.repository, target.tag ?? image.digest, put);
    if (target.tag) await registry.putManifest(target.repository, image.digest, put).catch(() => undefined);
    return result;
  });
}
