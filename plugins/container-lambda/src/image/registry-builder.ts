// The registry builder at package and deploy time: assembles each function's image (no Docker), records
// what it made under `.serverless/`, and pushes to ECR (or any registry) what is not there yet.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assembleImage,
  nodeRuntimeLayer,
  pushImage,
  type AssembledImage,
  type ImageOptions,
  type ImageProgress,
  type PushResult,
  type PushTarget,
} from '@serverless-continuum/core/image';
import { IMAGE_CACHE_DIR, keepCacheAside, restoreCache } from '@serverless-continuum/core/image/settings';
import type { PluginUtils } from '@serverless-continuum/core/serverless';
import type { ContainerLambdaCustom, ResolvedContainerFunction } from '../config';
import { supervisorBundlePath } from '../build-context';
import { functionImageBuild, imageTag, runtimeSource } from './build';

/** What `sls package` assembled, for a later `sls deploy --package`. */
export const IMAGE_RECORD = join('.serverless', 'continuum-images.json');

export interface ImageSettings {
  serviceDir: string;
  custom: ContainerLambdaCustom;
  utils: PluginUtils;
  awsCredentials?: unknown;
}

// Kept aside by the plugin class around the framework's clean-up (core's, shared with mapreduce's images).
export { IMAGE_CACHE_DIR, keepCacheAside, restoreCache };

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function imageOptions(settings: ImageSettings, onProgress?: (p: ImageProgress) => void): ImageOptions {
  const runtime = runtimeSource(settings.custom, settings.serviceDir);
  return {
    cacheDir: join(settings.serviceDir, IMAGE_CACHE_DIR),
    ...(settings.custom.insecureRegistries ? { insecureRegistries: settings.custom.insecureRegistries } : {}),
    ...(runtime ? { runtime } : {}),
    ...(settings.awsCredentials ? { awsCredentials: settings.awsCredentials } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
}

function progressLine(what: string, p: ImageProgress): string {
  const verb = p.phase === 'pull' ? 'pulled' : p.phase === 'push' ? 'pushed' : 'layers built';
  if (p.phase === 'build') return `${what}: ${p.done}/${p.total} ${verb}`;
  return `${what}: ${megabytes(p.done)} of ${megabytes(p.total)} ${verb}`;
}

/** Assembles the image of each function (base resolved, layers built or found in the cache); pushes nothing. */
export async function assembleFunctionImages(
  functions: ResolvedContainerFunction[],
  settings: ImageSettings,
): Promise<Map<string, AssembledImage>> {
  const images = new Map<string, AssembledImage>();
  if (!functions.length) return images;
  const progress = settings.utils.progress.create({ message: 'Assembling container images' });
  try {
    const supervisor = supervisorBundlePath();
    for (const fn of functions) {
      const what = `Image of ${fn.name}`;
      const options = imageOptions(settings, (p) => progress.update(progressLine(what, p)));
      progress.update(`${what}: the Node.js runtime`);
      const runtime = await nodeRuntimeLayer(fn.architecture, options);
      const image = await assembleImage(functionImageBuild(fn, runtime, supervisor), options);
      images.set(fn.name, image);
      settings.utils.log.verbose(
        `${what}: ${image.digest} on ${fn.image} (${megabytes(image.size)} of layers)`,
      );
    }
  } finally {
    progress.remove();
  }
  const record = Object.fromEntries([...images].map(([name, image]) => [name, image]));
  mkdirSync(join(settings.serviceDir, '.serverless'), { recursive: true });
  writeFileSync(join(settings.serviceDir, IMAGE_RECORD), JSON.stringify(record, null, 2));
  return images;
}

/** What the last `sls package` assembled, when its record is there. */
export function recordedImages(serviceDir: string): Map<string, AssembledImage> | undefined {
  const path = join(serviceDir, IMAGE_RECORD);
  if (!existsSync(path)) return undefined;
  return new Map(Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, AssembledImage>));
}

/** Pushes one function's image with a progress bar; the reference pins its digest. */
export async function pushFunctionImage(
  fn: Pick<ResolvedContainerFunction, 'name'>,
  image: AssembledImage,
  target: PushTarget,
  settings: ImageSettings,
): Promise<PushResult> {
  const what = `Image of ${fn.name}`;
  const progress = settings.utils.progress.create({
    message: `${what}: pushing to ${target.registry}/${target.repository}`,
  });
  try {
    const options = imageOptions(settings, (p) => progress.update(progressLine(what, p)));
    const result = await pushImage(image, { ...target, tag: target.tag ?? imageTag(fn) }, options);
    settings.utils.log.notice(
      `${what} pushed: ${megabytes(result.uploadedBytes)} in ${result.uploadedBlobs} blob(s) uploaded${result.mountedBlobs ? `, ${result.mountedBlobs} mounted` : ''}`,
    );
    return result;
  } finally {
    progress.remove();
  }
}
