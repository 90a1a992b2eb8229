// A streaming job's mapper/reducer image: what goes in (the base, the Node.js runtime, the task handler bundle, the
// service's job files) as a pure plan, and the calls to core's image assembler: assemble at package, push at deploy.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type {
  AssembledImage,
  ImageArchitecture,
  ImageBuild,
  ImageFile,
  ImageLayer,
  ImageOptions,
  PushResult,
  PushTarget,
} from '@serverless-continuum/core/image';
import type { ResolvedJob } from '../config';
import { IMAGE_JOB_DIR } from '../runtime/streaming/lambda';

/** Where the task handler bundle is in the image; the entrypoint runs it with the role as its argument. */
export const IMAGE_HANDLER = '/opt/continuum/mapreduce/handler.js';

/** The function's image until the package step has assembled it (replaced before the framework compiles). */
export const STREAMING_IMAGE_PENDING = 'assembled-at-package-time';

/** The image's entry module: the Runtime API loop of image-entry.ts, without extension (`.js` in dist). */
export const IMAGE_ENTRY_MODULE = join(__dirname, '..', 'runtime', 'streaming', 'image-entry');

/** The generated source of the task handler bundle; the module path is JSON-quoted, never spliced raw. */
export function imageHandlerEntry(entryModule = IMAGE_ENTRY_MODULE): string {
  return [
    `const { serveStreamingRole } = require(${JSON.stringify(entryModule)});`,
    'serveStreamingRole(process.argv[2]).catch((error) => {',
    '  console.error(error);',
    '  process.exit(1);',
    '});',
  ].join('\n');
}

/** Folders of a service that are never job files: dependencies, build output, version control. */
const NOT_JOB_FILES = new Set(['node_modules', '.serverless', '.git', 'mapreduce-output', '__pycache__']);

/** The service's job files, each at its place under IMAGE_JOB_DIR (the programs run there), in path order. */
export function jobFiles(serviceDir: string): ImageFile[] {
  const files: ImageFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (NOT_JOB_FILES.has(name)) continue;
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) {
        files.push({
          path: `${IMAGE_JOB_DIR}/${relative(serviceDir, path).split(sep).join('/')}`,
          source: { file: path },
          // A program started by path (`./jobs/mapper.py`) needs its executable bit.
          executable: (stat.mode & 0o111) !== 0,
        });
      }
    }
  };
  walk(serviceDir);
  return files;
}

export interface StreamingImageInputs {
  base: string;
  architecture: ImageArchitecture;
  /** core's `nodeRuntimeLayer`. */
  node: { layer: ImageLayer; command: string[] };
  /** The bundled task handler on this machine. */
  handlerFile: string;
  files: ImageFile[];
}

/** The image build: the base's layers, then the Node.js runtime, the task handler and the job files. */
export function streamingImageBuild(inputs: StreamingImageInputs): ImageBuild {
  return {
    base: inputs.base,
    architecture: inputs.architecture,
    layers: [
      inputs.node.layer,
      {
        description: 'the mapreduce task handler',
        files: [{ path: IMAGE_HANDLER, source: { file: inputs.handlerFile } }],
      },
      { description: "the service's job files", files: inputs.files },
    ],
    config: {
      entrypoint: [...inputs.node.command, IMAGE_HANDLER],
      workingDir: IMAGE_JOB_DIR,
      // Lambda runs the image as a uid with no passwd entry: without HOME, os.homedir() throws and the AWS SDK
      // stops. /tmp is the one writable folder.
      defaultEnv: { HOME: '/tmp' },
    },
  };
}

/** The tag a job's image is pushed under as well as its digest (ECR lifecycle rules spare tagged images). */
export function streamingImageTag(job: Pick<ResolvedJob, 'name'>): string {
  return `${job.name}-mapreduce`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128);
}

/** The job's `streaming.runtime` and `streaming.insecureRegistries` over the service's image options. */
export function streamingImageOptions(job: ResolvedJob, options: ImageOptions): ImageOptions {
  return {
    ...options,
    ...(job.image?.runtime ? { runtime: job.image.runtime } : {}),
    ...(job.image?.insecureRegistries ? { insecureRegistries: job.image.insecureRegistries } : {}),
  };
}

export interface AssembleOptions extends ImageOptions {
  serviceDir: string;
  architecture: ImageArchitecture;
  handlerFile: string;
}

/**
 * Assembles the job's image on `streaming.image` (the blobs and manifest land in `cacheDir`; nothing is pushed).
 * Loaded on demand, like esbuild: only a package of a streaming job without `streaming.uri` needs it.
 */
export async function assembleStreamingImage(
  job: ResolvedJob,
  options: AssembleOptions,
): Promise<AssembledImage> {
  const base = job.image?.base;
  if (!base) throw new Error(`job ${job.name} has no streaming.image to assemble on`);
  const { assembleImage, nodeRuntimeLayer } =
    require('@serverless-continuum/core/image') as typeof import('@serverless-continuum/core/image');
  const node = await nodeRuntimeLayer(options.architecture, options);
  const build = streamingImageBuild({
    base,
    architecture: options.architecture,
    node,
    handlerFile: options.handlerFile,
    files: jobFiles(options.serviceDir),
  });
  return assembleImage(build, options);
}

/** Pushes an assembled image (from the same `cacheDir`) under its digest and the job's tag. */
export async function pushStreamingImage(
  job: Pick<ResolvedJob, 'name'>,
  image: AssembledImage,
  target: PushTarget,
  options: ImageOptions,
): Promise<PushResult> {
  const { pushImage } =
    require('@serverless-continuum/core/image') as typeof import('@serverless-continuum/core/image');
  return pushImage(image, { ...target, tag: target.tag ?? streamingImageTag(job) }, options);
}
