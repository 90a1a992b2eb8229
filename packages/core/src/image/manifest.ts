// Image manifests and configs: a base's index resolved to one platform, the new config (the base's Env, User
// and WorkingDir kept, our entrypoint, a history entry per added layer) and the manifest in the base's format,
// serialised the same way every time so the same inputs give the same digest.
import { ContinuumError } from '../errors';
import type { BuiltLayer } from './layer';
import type { ImageArchitecture, ImageConfigChanges } from './index';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Lambda's limit on an image, all layers uncompressed. */
export const LAMBDA_IMAGE_LIMIT_BYTES = 10 * 1024 ** 3;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  created?: string;
  architecture?: string;
  variant?: string;
  os?: string;
  config?: {
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    User?: string;
    WorkingDir?: string;
    [key: string]: unknown;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  [key: string]: unknown;
}

/** The OCI platform name of a Lambda architecture. */
export function platformOf(architecture: ImageArchitecture): { architecture: string; variant?: string } {
  return architecture === 'arm64' ? { architecture: 'arm64', variant: 'v8' } : { architecture: 'amd64' };
}

export function isIndex(mediaType: string): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;
}

/** The manifest of the one platform a Lambda architecture runs, from an image index. */
export function platformManifest(
  index: Buffer,
  architecture: ImageArchitecture,
  reference: string,
): Descriptor {
  const parsed = JSON.parse(index.toString('utf8')) as ImageIndex;
  const want = platformOf(architecture);
  const candidates = parsed.manifests.filter(
    (m) => m.platform?.os === 'linux' && m.platform.architecture === want.architecture,
  );
  const chosen =
    candidates.find((m) => !want.variant || m.platform?.variant === want.variant) ??
    candidates.find((m) => !m.platform?.variant) ??
    candidates[0];
  if (!chosen) {
    const offered = parsed.manifests
      .map((m) => [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/'))
      .filter((p) => p && !p.startsWith('unknown'));
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${reference} has no linux/${want.architecture} image for the ${architecture} architecture (it has ${offered.join(', ') || 'none'})`,
    );
  }
  return chosen;
}

/** The base's manifest, checked to be one a Lambda image can be built on (single platform, gzip layers). */
export function baseManifest(bytes: Buffer, mediaType: string, reference: string): ImageManifest {
  if (mediaType !== MEDIA.ociManifest && mediaType !== MEDIA.dockerManifest) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${reference} is a ${mediaType}, not an image manifest Lambda can run (Docker v2 schema 2 or OCI)`,
    );
  }
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
  for (const layer of manifest.layers) {
    if (layer.mediaType !== MEDIA.ociLayer && layer.mediaType !== MEDIA.dockerLayer) {
      throw new ContinuumError(
        'CONTINUUM_IMAGE',
        `${reference} has a layer of type ${layer.mediaType}: Lambda takes gzip layers only (${layer.digest})`,
      );
    }
  }
  return manifest;
}

const EPOCH = '1970-01-01T00:00:00Z';

function mergedEnv(
  base: string[] | undefined,
  changes: Record<string, string> | undefined,
): string[] | undefined {
  if (!changes || !Object.keys(changes).length) return base;
  const env = [...(base ?? [])];
  for (const [name, value] of Object.entries(changes).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const at = env.findIndex((line) => line.startsWith(`${name}=`));
    if (at >= 0) env[at] = `${name}=${value}`;
    else env.push(`${name}=${value}`);
  }
  return env;
}

/** The new image config: the base's, with our layers, entrypoint and history appended. */
export function imageConfig(
  base: ImageConfig,
  layers: BuiltLayer[],
  changes: ImageConfigChanges,
  architecture: ImageArchitecture,
  reference: string,
): ImageConfig {
  const want = platformOf(architecture);
  if (base.os && base.os !== 'linux')
    throw new ContinuumError('CONTINUUM_IMAGE', `${reference} is a ${base.os} image; Lambda runs linux`);
  if (base.architecture && base.architecture !== want.architecture) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `${reference} is built for ${base.architecture}, and the function runs on ${architecture} (linux/${want.architecture})`,
    );
  }
  const inner = { ...(base.config ?? {}) };
  const missing = Object.entries(changes.defaultEnv ?? {}).filter(
    ([name]) => !(inner.Env ?? []).some((line) => line.startsWith(`${name}=`)),
  );
  const env = mergedEnv(inner.Env, { ...Object.fromEntries(missing), ...changes.env });
  if (env) inner.Env = env;
  inner.Entrypoint = changes.entrypoint;
  // The base's Cmd would become the supervisor's arguments.
  if (changes.cmd) inner.Cmd = changes.cmd;
  else delete inner.Cmd;
  if (changes.workingDir !== undefined) inner.WorkingDir = changes.workingDir;
  if (changes.user !== undefined) inner.User = changes.user;
  return {
    ...base,
    created: EPOCH,
    architecture: want.architecture,
    ...(want.variant ? { variant: want.variant } : {}),
    os: 'linux',
    config: inner,
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), ...layers.map((l) => l.diffId)] },
    history: [
      ...(base.history ?? []),
      ...layers.map((l) => ({
        created: EPOCH,
        created_by: `serverless-continuum: ${l.description}`,
        comment: l.description,
      })),
    ],
  };
}

/** The manifest in the base's own format, its layers' types renamed to that format when they came as the other. */
export function imageManifest(
  base: ImageManifest,
  baseMediaType: string,
  config: Descriptor,
  layers: BuiltLayer[],
): ImageManifest {
  const oci = baseMediaType === MEDIA.ociManifest;
  const layerType = oci ? MEDIA.ociLayer : MEDIA.dockerLayer;
  return {
    schemaVersion: 2,
    mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest,
    config: {
      mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig,
      digest: config.digest,
      size: config.size,
    },
    layers: [
      ...base.layers.map((l) => ({ mediaType: layerType, digest: l.digest, size: l.size })),
      ...layers.map((l) => ({ mediaType: layerType, digest: l.digest, size: l.size })),
    ],
  };
}

/**
 * Lambda's limits, before anything is pushed: 10 GB uncompressed. The base's layers are counted at their
 * compressed size (their uncompressed size is not in the manifest), so this catches every image that is
 * surely too large and leaves the last word to Lambda.
 */
export function checkLambdaLimits(base: ImageManifest, layers: BuiltLayer[], reference: string): number {
  const total =
    base.layers.reduce((sum, l) => sum + l.size, 0) + layers.reduce((sum, l) => sum + l.uncompressedSize, 0);
  if (total > LAMBDA_IMAGE_LIMIT_BYTES) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `the image on ${reference} would be at least ${(total / 1024 ** 3).toFixed(1)} GiB uncompressed; Lambda takes at most 10 GB`,
    );
  }
  return total;
}
