// `sls container build -f <fn> [--push] [--registry host[:port]/repo]`: one function's image through the
// registry API; the last line printed is the reference, for scripts and CI.
import { parseRepositoryTarget } from '@serverless-continuum/core/image';
import { awsClientConfig, regionAndStage, serviceAndStage } from '@serverless-continuum/core/serverless';
import { ConfigError } from '@serverless-continuum/core/errors';
import { accountId } from '@serverless-continuum/core/serverless';
import { imageRepository, REGISTRY_FIX, repositoryTags } from '../image/build';
import type { ContainerLambdaCustom } from '../config';
import { assembleFunctionImages, pushFunctionImage, type ImageSettings } from '../image/registry-builder';
import { commandFunction, type CommandContext } from './command-context';

export async function buildCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  if (fn.prebuilt) {
    throw new ConfigError(
      `functions.${fn.name}.container.image`,
      `is a prebuilt image (${fn.imageUri}): there is nothing to build`,
    );
  }
  const custom = (ctx.serverless.service.custom?.containerLambda ?? {}) as ContainerLambdaCustom;
  const aws =
    typeof ctx.options.registry === 'string' ? undefined : await awsClientConfig(ctx.serverless, ctx.options);
  const settings: ImageSettings = {
    serviceDir:
      ctx.serverless.serviceDir ??
      ctx.serverless.config.serviceDir ??
      ctx.serverless.config.servicePath ??
      process.cwd(),
    custom,
    utils: ctx.utils,
    ...(aws?.credentials ? { awsCredentials: aws.credentials } : {}),
  };
  let target: { registry: string; repository: string; repositoryTags?: Record<string, string> };
  if (typeof ctx.options.registry === 'string') {
    target = parseRepositoryTarget(ctx.options.registry);
  } else {
    const { service, stage } = serviceAndStage(ctx.serverless, ctx.options);
    const { region } = regionAndStage(ctx.serverless, ctx.options);
    target = {
      registry: `${await accountId(ctx.serverless, REGISTRY_FIX)}.dkr.ecr.${region}.amazonaws.com`,
      repository: imageRepository(custom, service, stage),
      repositoryTags: repositoryTags(service, stage),
    };
  }
  const image = (await assembleFunctionImages([fn], settings)).get(fn.name)!;
  ctx.utils.log.notice(`Image of ${fn.name}: ${image.layers.length} layer(s) added to ${fn.image}`);
  let reference = `${target.registry}/${target.repository}@${image.digest}`;
  if (ctx.options.push) reference = (await pushFunctionImage(fn, image, target, settings)).reference;
  ctx.utils.writeText(reference);
}
