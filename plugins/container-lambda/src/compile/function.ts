// What a container function becomes for the framework before it compiles: an image function (a prebuilt uri,
// the registry builder's image, or a build context in provider.ecr.images), its own role, and the framework events we reuse.
import type { ResolvedContainerFunction } from '../config';
import { buildContextDir, ecrImageName, resourceIds } from './names';
import { existingBucketEvents } from './triggers';

export interface FunctionPatch {
  image: string | { name: string };
  /** The function's own least-privilege role (a logical id), unless the user manages the role. */
  role?: string;
  /** Framework events to add: `http` for `api: true`, `s3 existing` for existing input buckets. */
  events: Array<Record<string, unknown>>;
  /** The `provider.ecr.images` entry to register when the image is built from a context. */
  ecrImage?: { name: string; config: { path: string; platform: string } };
}

/** The function's route on the service's REST API (`api: true`); `sls container invoke` calls the same one. */
export function apiRoute(fn: ResolvedContainerFunction): { path: string; method: string } {
  return { path: fn.name, method: (fn.apiMethod ?? 'ANY').toLowerCase() };
}

export function functionPatch(
  fn: ResolvedContainerFunction,
  options: {
    existingBuckets: Set<string>;
    manageRole: boolean;
    /** The registry builder's image (a uri pinned by digest), when it builds this function's image. */
    assembledUri?: string;
  },
): FunctionPatch {
  const events: Array<Record<string, unknown>> = [...existingBucketEvents(fn, options.existingBuckets)];
  // The framework's REST API with a Lambda proxy: the body reaches the supervisor as sent (base64 when binary).
  if (fn.api) events.push({ http: apiRoute(fn) });
  const role = options.manageRole ? resourceIds(fn.name).role : undefined;
  if (fn.imageUri) return { image: fn.imageUri, role, events };
  if (options.assembledUri) return { image: options.assembledUri, role, events };
  const name = ecrImageName(fn.name);
  return {
    image: { name },
    role,
    events,
    ecrImage: {
      name,
      config: {
        path: buildContextDir(fn.name),
        platform: fn.architecture === 'arm64' ? 'linux/arm64' : 'linux/amd64',
      },
    },
  };
}
