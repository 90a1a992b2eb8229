// What the registry builder makes of a container function: the base is `container.image`, the added layers
// are the Node.js runtime, the supervisor bundle and the script (in that order, so a script change touches
// only the last), and the entrypoint starts the supervisor through the runtime's own loader.
import { ConfigError } from '@serverless-continuum/core/errors';
import type { ImageBuild, NodeRuntimeSource } from '@serverless-continuum/core/image';
import {
  defaultImageRepository,
  runtimeSource as coreRuntimeSource,
} from '@serverless-continuum/core/image/settings';
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
  return coreRuntimeSource(custom.runtime, serviceDir, 'custom.containerLambda.runtime');
}

/** The ECR repository of the service's images: `custom.containerLambda.repository`, or one named after it. */
export function imageRepository(custom: ContainerLambdaCustom, service: string, stage: string): string {
  return custom.repository ?? defaultImageRepository(service, stage);
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

/** What to do when the framework gives no account to push to. */
export const REGISTRY_FIX = 'pass --registry <host>/<repository>';
