// Function images assembled through the OCI distribution API, with no Docker: a base image's layers reused as
// they are, the plugin's own layers and config added, blobs and a manifest pushed. The public shape that
// container-lambda and mapreduce build on; the implementation lands with issue 16.
import { ContinuumError } from '../errors';

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
}

/** An assembled image: its manifest is computed, its blobs are in the cache, nothing is pushed yet. */
export interface AssembledImage {
  /** `sha256:<hex>` of the manifest: the same inputs give the same digest. */
  digest: string;
  mediaType: string;
  /** The registry and repository the base came from (for a cross-repository mount). */
  base: { registry: string; repository: string };
}

export interface PushTarget {
  /** `host[:port]`; an ECR host (`<account>.dkr.ecr.<region>.amazonaws.com`) uses the AWS SDK for its token. */
  registry: string;
  repository: string;
}

export interface PushResult {
  /** `<registry>/<repository>@sha256:<digest>`. */
  reference: string;
  /** Bytes and blobs uploaded (a blob the registry has already is not uploaded). */
  uploadedBytes: number;
  uploadedBlobs: number;
}

function notYet(): never {
  throw new ContinuumError('CONTINUUM_IMAGE', 'the registry image builder is not built yet (issue 16)');
}

/** Resolves the base, builds the added layers and the config, and computes the manifest; pushes nothing. */
export async function assembleImage(build: ImageBuild, options: ImageOptions): Promise<AssembledImage> {
  void build;
  void options;
  return notYet();
}

/** Pushes what the target does not have yet (HEAD first, mount when the base is in the same registry), then the manifest. */
export async function pushImage(
  image: AssembledImage,
  target: PushTarget,
  options: ImageOptions,
): Promise<PushResult> {
  void image;
  void target;
  void options;
  return notYet();
}

/**
 * The Node.js runtime for an architecture as a layer under `/opt/continuum/`, with its own dynamic loader and
 * libraries, so it starts on any base (glibc, musl, busybox, distroless); `command` is how to start it.
 */
export async function nodeRuntimeLayer(
  architecture: ImageArchitecture,
  options: ImageOptions,
): Promise<{ layer: ImageLayer; command: string[] }> {
  void architecture;
  void options;
  return notYet();
}
