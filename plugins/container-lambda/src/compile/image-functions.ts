// What the container functions change in the service before the framework compiles it: each becomes an image
// function (image, role, events, the supervisor's variables, log retention), images to build join
// `provider.ecr.images`, and an API passes every body as binary. Pure: the plugin applies the changes.
import { logRetentionInDays } from '@serverless-continuum/core/cfn';
import { ConfigError } from '@serverless-continuum/core/errors';
import type {
  ServerlessFunctionConfig,
  ServerlessProviderConfig,
} from '@serverless-continuum/core/serverless';
import type { ResolvedContainerFunction } from '../config';
import { batchTargets } from './batch';
import { environmentSize, LAMBDA_ENVIRONMENT_LIMIT, runtimeEnvironment } from './environment';
import { functionPatch } from './function';
import { existingBuckets } from './triggers';

type EcrImages = NonNullable<NonNullable<ServerlessProviderConfig['ecr']>['images']>;

export interface ImageFunctions {
  /** The new values of keys under `functions.<name>`, for each container function. */
  functions: Record<string, Partial<ServerlessFunctionConfig>>;
  /** `provider.ecr.images` with the image of each function built from a context; unset when none is. */
  ecrImages?: EcrImages;
  /** `provider.apiGateway` with `*\/*` as a binary media type, when a function has an API and it lacks it. */
  apiGateway?: Record<string, unknown>;
  /** Functions whose role the plugin makes: those without a `role` of the user's. */
  managedRoles: Set<string>;
  notices: string[];
}

export function imageFunctions(
  resolved: ResolvedContainerFunction[],
  service: { functions: Record<string, ServerlessFunctionConfig>; provider: ServerlessProviderConfig },
  /** The registry builder's uri of each function it builds (none: the framework builds from a context). */
  assembledUris: Record<string, string> = {},
): ImageFunctions {
  const { provider } = service;
  const existing = existingBuckets(resolved);
  const result: ImageFunctions = { functions: {}, managedRoles: new Set(), notices: [] };
  let images: EcrImages | undefined;
  for (const fn of resolved) {
    const config = service.functions[fn.name]!;
    const manageRole = config.role === undefined;
    if (manageRole) result.managedRoles.add(fn.name);
    else
      result.notices.push(
        `functions.${fn.name}.role is set: its S3 and Batch permissions are yours to grant`,
      );
    const assembledUri = assembledUris[fn.name];
    const patch = functionPatch(fn, {
      existingBuckets: existing,
      manageRole,
      ...(assembledUri ? { assembledUri } : {}),
    });
    // On the function itself, not only in the template: `sls deploy function` sets the environment from here.
    const environment = {
      ...(config.environment ?? {}),
      ...runtimeEnvironment(fn, { batch: fn.batch ? batchTargets(fn.name) : undefined }),
    };
    const size = environmentSize({ ...(provider.environment as object | undefined), ...environment });
    if (size > LAMBDA_ENVIRONMENT_LIMIT) {
      throw new ConfigError(
        `functions.${fn.name}`,
        `its environment variables (the supervisor's, with the input and output bindings, and yours) take about ${size} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT}`,
        'use fewer bindings or filters, or shorter container.environment values',
      );
    }
    result.functions[fn.name] = {
      image: patch.image,
      environment,
      ...(patch.role ? { role: patch.role } : {}),
      // The framework's own setting, so that it writes the retention into the log group it creates.
      logRetentionInDays: logRetentionInDays(config.logRetentionInDays, provider.logRetentionInDays),
      events: [...(config.events ?? []), ...patch.events],
    };
    if (patch.ecrImage) {
      images ??= { ...(provider.ecr?.images ?? {}) };
      if (images[patch.ecrImage.name]) {
        throw new ConfigError(
          `provider.ecr.images.${patch.ecrImage.name}`,
          `already defined; function ${fn.name} needs this name for its image`,
        );
      }
      images[patch.ecrImage.name] = patch.ecrImage.config;
    }
  }
  if (images) result.ecrImages = images;
  if (resolved.some((fn) => fn.api)) {
    const apiGateway = (provider.apiGateway ?? {}) as { binaryMediaTypes?: string[] };
    const types = apiGateway.binaryMediaTypes ?? [];
    // Every body reaches the function base64-encoded and unchanged, as SCAR's API passes files.
    if (!types.includes('*/*')) result.apiGateway = { ...apiGateway, binaryMediaTypes: [...types, '*/*'] };
  }
  return result;
}
