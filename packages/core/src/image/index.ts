// Function images assembled through the OCI distribution API, with no Docker: a base image's layers reused as
// they are, the plugin's own layers and config added, blobs and a manifest pushed. container-lambda and
// mapreduce build on this shape; registry.ts speaks the protocol, layer.ts and manifest.ts make the bytes.
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { ContinuumError } from '../errors';
import { redact } from '../http/errors';
import { BlobCache, sha256 } from './cache';
import { registryCredentials } from './credentials';
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
import { ecrRegistry, isLoopbackHost, parseReference } from './reference';
import { Registry } from './registry';
import { PINNED_NODE_RUNTIMES, runtimeLayer, type NodeRuntimeSource } from './runtime';

export { parseReference, parseRepositoryTarget, ecrRegistry, type ImageReference } from './reference';
export { PINNED_NODE_RUNTIMES, RUNTIME_DIR, type NodeRuntimeSource } from './runtime';
export { LAMBDA_IMAGE_LIMIT_BYTES } from './manifest';
export type { RegistryCredentials } from './credentials';

export type ImageArchitecture = 'x86_64' | 'arm64';

/** A file added to the image at an absolute path inside it. Files are readable by any user (Lambda runs non-root). */
export interface ImageFile {
  /** Absolute path in the image, for example `/opt/continuum/supervisor.js`. */
  path: string;
  /** A file on this machine, or the bytes themselves. */
  source: { file: string } | { bytes: Uint8Array | string };
  /** Executable bit: `true` gives 0755, otherwise 0644. */
  executable?: boolean;
}

/** A layer the plugin adds, cached by digest: unchanged inputs are never rebuilt nor re-uploaded. */
export interface ImageLayer {
  /** What the layer is, for the image's history and the progress output ("the supervisor", "the script"). */
  description: string;
  files: ImageFile[];
}

/** What the new image config changes over the base's; the base's Env, User and WorkingDir stay unless set here. */
export interface ImageConfigChanges {
  entrypoint: string[];
  cmd?: string[];
  /** Merged over the base's `Env`. */
  env?: Record<string, string>;
  /** Set only where the base's `Env` has no such variable (a `HOME` for a uid with no passwd entry). */
  defaultEnv?: Record<string, string>;
  workingDir?: string;
  user?: string;
}

export interface ImageBuild {
  /** The base image reference (`python:3.12-slim`, `ghcr.io/org/img@sha256:…`); an index resolves to one platform. */
  base: string;
  architecture: ImageArchitecture;
  /** The Node.js runtime layer comes first when wanted: see `nodeRuntimeLayer`. */
  layers: ImageLayer[];
  config: ImageConfigChanges;
}

export interface ImageProgress {
  phase: 'pull' | 'build' | 'push';
  /** Bytes done and in all, for a progress bar. */
  done: number;
  total: number;
}

export interface ImageOptions {
  /** Where blobs are cached by digest, for example `<service>/.serverless/continuum-images`. */
  cacheDir: string;
  /** Registries (host[:port]) reached over HTTP or with a self-signed certificate: loopback test registries only. */
  insecureRegistries?: string[];
  onProgress?: (progress: ImageProgress) => void;
  /** A private certificate authority (PEM) trusted for registries and token servers, verification still on. */
  ca?: string;
  /** The folder of the Docker credentials file (`config.json`); `DOCKER_CONFIG`, then `~/.docker`, when omitted. */
  dockerConfig?: string;
  /** ECR's API endpoint, for tests at the wire; AWS's own when omitted. */
  ecrEndpoint?: string;
  /** AWS credentials for ECR's API (the framework's, with its profile); the SDK's default chain when omitted. */
  awsCredentials?: unknown;
  /** Where `nodeRuntimeLayer` takes Node.js from; the pinned npm package of the architecture when omitted. */
  runtime?: NodeRuntimeSource;
}

/** An assembled image: its manifest is computed, its blobs are in the cache, nothing is pushed yet. */
export interface AssembledImage {
  /** `sha256:<hex>` of the manifest: the same inputs give the same digest. */
  digest: string;
  mediaType: string;
  /** The registry and repository the base came from (for a cross-repository mount). */
  base: { registry: string; repository: string };
  /** The base's own manifest digest (of the one platform, when the base is an index). */
  baseDigest: string;
  /** The added layers, in order, with their digests and sizes. */
  layers: { description: string; digest: string; size: number; uncompressedSize: number }[];
  /** All layers' compressed bytes (base included). */
  size: number;
}

export interface PushTarget {
  /** `host[:port]`; an ECR host (`<account>.dkr.ecr.<region>.amazonaws.com`) uses the AWS SDK for its token. */
  registry: string;
  repository: string;
  /** A tag to push the manifest under as well (an untagged image in ECR may be expired by a lifecycle rule). */
  tag?: string;
}

export interface PushResult {
  /** `<registry>/<repository>@sha256:<digest>`. */
  reference: string;
  /** Bytes and blobs uploaded (a blob the registry has already is not uploaded). */
  uploadedBytes: number;
  uploadedBlobs: number;
  /** Blobs linked from the base's repository of the same registry, with no byte sent. */
  mountedBlobs: number;
}

interface Session {
  cache: BlobCache;
  secrets: Set<string>;
  registries: Map<string, Registry>;
}

function session(options: ImageOptions): Session {
  return { cache: new BlobCache(options.cacheDir), secrets: new Set(), registries: new Map() };
}

/** `host:port` gets TLS without verification, `http://host:port` plain HTTP: loopback test registries only. */
function insecureMode(registry: string, options: ImageOptions): 'tls' | 'http' | undefined {
  for (const entry of options.insecureRegistries ?? []) {
    const plain = entry.startsWith('http://');
    const host = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (!isLoopbackHost(host)) {
      throw new ContinuumError(
        'CONTINUUM_IMAGE',
        `insecureRegistries: "${entry}" is not a loopback registry; TLS verification is turned off for loopback test registries only`,
      );
    }
    if (host === registry) return plain ? 'http' : 'tls';
  }
  return undefined;
}

function registryOf(registry: string, options: ImageOptions, s: Session): Registry {
  let client = s.registries.get(registry);
  if (!client) {
    const insecure = insecureMode(registry, options);
    client = new Registry(registry, {
      ...(insecure ? { insecure } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
      secrets: s.secrets,
      credentials: () =>
        registryCredentials(registry, {
          ...(options.dockerConfig ? { dockerConfig: options.dockerConfig } : {}),
          ...(options.ecrEndpoint ? { ecrEndpoint: options.ecrEndpoint } : {}),
          ...(options.awsCredentials ? { awsCredentials: options.awsCredentials } : {}),
          onSecret: (secret) => s.secrets.add(secret),
        }),
    });
    s.registries.set(registry, client);
  }
  return client;
}

async function closing<T>(s: Session, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // A message built from a registry's answer could quote what we sent: redact before it leaves.
    if (error instanceof Error && s.secrets.size) {
      error.message = redact(
        error.message,
        [...s.secrets].sort((a, b) => b.length - a.length),
      );
    }
    throw error;
  } finally {
    await Promise.all([...s.registries.values()].map((r) => r.close()));
  }
}

interface ResolvedBase {
  registry: string;
  repository: string;
  digest: string;
  mediaType: string;
  manifest: ImageManifest;
  config: ImageConfig;
}

interface ImageRecord {
  base: { registry: string; repository: string };
}

async function resolveBase(build: ImageBuild, options: ImageOptions, s: Session): Promise<ResolvedBase> {
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
    const base = await resolveBase(build, options, s);
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

async function ensureEcrRepository(target: PushTarget, options: ImageOptions): Promise<void> {
  const ecr = ecrRegistry(target.registry);
  if (!ecr) return;
  const { ECRClient, CreateRepositoryCommand } = await import('@aws-sdk/client-ecr');
  const client = new ECRClient({
    region: ecr.region,
    ...(options.ecrEndpoint ? { endpoint: options.ecrEndpoint } : {}),
    ...(options.awsCredentials ? { credentials: options.awsCredentials as never } : {}),
  });
  try {
    await client.send(
      new CreateRepositoryCommand({
        repositoryName: target.repository,
        registryId: ecr.account,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'RepositoryAlreadyExistsException') {
      throw new ContinuumError(
        'CONTINUUM_IMAGE',
        `ECR CreateRepository ${target.repository} failed: ${(error as { name?: string }).name ?? 'Error'}: ${(error as Error).message}`,
      );
    }
  } finally {
    client.destroy();
  }
}

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

/**
 * The Node.js runtime for an architecture as a layer under `/opt/continuum/`, with its own dynamic loader and
 * libraries, so it starts on any base (glibc, musl, busybox, distroless); `command` is how to start it.
 */
export async function nodeRuntimeLayer(
  architecture: ImageArchitecture,
  options: ImageOptions,
): Promise<{ layer: ImageLayer; command: string[] }> {
  return runtimeLayer(architecture, options.runtime ?? PINNED_NODE_RUNTIMES[architecture], options.cacheDir);
}
