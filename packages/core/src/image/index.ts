// Function images assembled through the OCI distribution API, with no Docker: a base image's layers reused as
// they are, the plugin's own layers and config added, blobs and a manifest pushed. container-lambda and
// mapreduce build on this shape; assemble.ts and push.ts do the work, registry.ts speaks the protocol.
import { PINNED_NODE_RUNTIMES, runtimeLayer, type NodeRuntimeSource } from './runtime';

export { assembleImage } from './assemble';
export { pushImage } from './push';
export { removeEcrImages, type RemoveImagesOutcome, type RemoveImagesRequest } from './ecr';
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
  /** Tags an ECR repository gets when the push creates it (who made it, for `removeEcrImages`). */
  repositoryTags?: Record<string, string>;
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
