// Assembling an image: the base resolved (an index to one platform, pinned bases remembered offline), the added
// layers built or found in the cache, the config and the manifest written to the cache by digest.
import { sha256 } from './cache';
import { buildLayer, type BuiltLayer } from './layer';
import {
  baseManifest,
  checkLambdaLimits,
  imageConfig,
  imageManifest,
  isIndex,
  platformManifest,
  type ImageConfig,
  type ImageManifest,
} from './manifest';
import { parseReference } from './reference';
import { closing, registryOf, session, type Session } from './session';
import type { AssembledImage, ImageArchitecture, ImageBuild, ImageOptions } from './index';

export interface ResolvedBase {
  registry: string;
  repository: string;
  digest: string;
  mediaType: string;
  manifest: ImageManifest;
  config: ImageConfig;
}

export interface ImageRecord {
  base: { registry: string; repository: string };
}

/** An image for one platform: an index resolved to that platform's manifest, and its config, through the cache. */
export async function resolveImage(
  reference: string,
  architecture: ImageArchitecture,
  options: ImageOptions,
  s: Session,
): Promise<ResolvedBase> {
  const build = { base: reference, architecture };
  const ref = parseReference(build.base);
  // A base pinned by digest cannot change: once resolved it is known offline.
  const key = ref.digest
    ? sha256(`${ref.registry}/${ref.repository}@${ref.digest}#${build.architecture}`).slice(7)
    : undefined;
  const known = key ? s.cache.readRecord<{ digest: string; mediaType: string }>('bases', key) : undefined;
  let manifestBytes: Buffer;
  let mediaType: string;
  let digest: string;
  const registry = registryOf(ref.registry, options, s);
  if (known && s.cache.has(known.digest)) {
    manifestBytes = s.cache.read(known.digest);
    mediaType = known.mediaType;
    digest = known.digest;
  } else {
    let got = await registry.manifest(ref.repository, ref.digest ?? ref.tag!);
    if (isIndex(got.mediaType)) {
      const chosen = platformManifest(got.bytes, build.architecture, build.base);
      got = await registry.manifest(ref.repository, chosen.digest);
    }
    manifestBytes = got.bytes;
    mediaType = got.mediaType;
    digest = s.cache.write(got.bytes, got.digest);
    if (key) s.cache.writeRecord('bases', key, { digest, mediaType });
  }
  const manifest = baseManifest(manifestBytes, mediaType, build.base);
  if (!s.cache.has(manifest.config.digest)) {
    const partial = s.cache.partialPath('config');
    options.onProgress?.({ phase: 'pull', done: 0, total: manifest.config.size });
    await registry.downloadBlob(ref.repository, manifest.config.digest, partial);
    s.cache.adopt(partial, manifest.config.digest);
    options.onProgress?.({ phase: 'pull', done: manifest.config.size, total: manifest.config.size });
  }
  const config = JSON.parse(s.cache.read(manifest.config.digest).toString('utf8')) as ImageConfig;
  return { registry: ref.registry, repository: ref.repository, digest, mediaType, manifest, config };
}

/** Resolves the base, builds the added layers and the config, and computes the manifest; pushes nothing. */
export async function assembleImage(build: ImageBuild, options: ImageOptions): Promise<AssembledImage> {
  const s = session(options);
  return closing(s, async () => {
    const base = await resolveImage(build.base, build.architecture, options, s);
    const layers: BuiltLayer[] = [];
    const total = build.layers.length;
    for (const [i, layer] of build.layers.entries()) {
      layers.push(buildLayer(layer, s.cache));
      options.onProgress?.({ phase: 'build', done: i + 1, total });
    }
    checkLambdaLimits(base.manifest, layers, build.base);
    const config = imageConfig(base.config, layers, build.config, build.architecture, build.base);
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = s.cache.write(configBytes);
    const manifest = imageManifest(
      base.manifest,
      base.mediaType,
      { mediaType: '', digest: configDigest, size: configBytes.length },
      layers,
    );
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2));
    const digest = s.cache.write(manifestBytes);
    const record: ImageRecord = { base: { registry: base.registry, repository: base.repository } };
    s.cache.writeRecord('images', digest.slice(7), record);
    return {
      digest,
      mediaType: manifest.mediaType!,
      base: record.base,
      baseDigest: base.digest,
      layers: layers.map((l) => ({
        description: l.description,
        digest: l.digest,
        size: l.size,
        uncompressedSize: l.uncompressedSize,
      })),
      size: manifest.layers.reduce((sum, l) => sum + l.size, 0),
    };
  });
}
