// A service's function images across the plugin's hooks: the placeholder uris the framework compiles with, the
// images assembled at package time (or the build contexts of `builder: docker`), their push before the stack
// update, their ImageUri in the template, and their removal after `sls remove`. The registry builder's module
// loads only when this service builds images with it.
import type { AssembledImage } from '@serverless-continuum/core/image';
import { imageUriValue, placeholderImageUri } from '@serverless-continuum/core/image/settings';
import { ConfigError } from '@serverless-continuum/core/errors';
import {
  accountId,
  awsClientConfig,
  regionAndStage,
  serviceAndStage,
  type CliOptions,
  type PluginUtils,
  type ServerlessLike,
} from '@serverless-continuum/core/serverless';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import type { ContainerLambdaCustom, ResolvedContainerFunction } from '../config';
import { resourceIds } from '../compile/names';
import { imageBuilder, imageRepository, imageTag, REGISTRY_FIX, repositoryTags } from './build';

type RegistryBuilder = typeof import('./registry-builder');

export interface ServiceImagesHost {
  serverless: ServerlessLike;
  options: CliOptions;
  utils: PluginUtils;
  custom(): ContainerLambdaCustom;
  serviceDir(): string;
  functions(): ResolvedContainerFunction[];
  /** `builder: docker`: write the build contexts the framework's Docker build takes. */
  writeBuildContexts(): void;
}

export class ServiceImages {
  /** The registry builder's images of this run, by function. */
  private images = new Map<string, AssembledImage>();

  constructor(private readonly host: ServiceImagesHost) {}

  /** The functions whose image is built here (not prebuilt). */
  private toBuild(): ResolvedContainerFunction[] {
    return this.host.functions().filter((fn) => !fn.prebuilt);
  }

  /** The registry builder's module, loaded on demand, when it builds this service's images. */
  registryBuilder(): RegistryBuilder | undefined {
    if (imageBuilder(this.host.custom()) !== 'registry' || !this.toBuild().length) return undefined;
    return require('./registry-builder') as RegistryBuilder;
  }

  private get repository(): string {
    const { service, stage } = serviceAndStage(this.host.serverless, this.host.options);
    return imageRepository(this.host.custom(), service, stage);
  }

  /** Until the images are assembled, each function is given a uri the framework accepts without building. */
  placeholderUris(digests: Record<string, string> = {}): Record<string, string> {
    if (imageBuilder(this.host.custom()) !== 'registry') return {};
    const { region } = regionAndStage(this.host.serverless, this.host.options);
    const zero = `sha256:${'0'.repeat(64)}`;
    return Object.fromEntries(
      this.toBuild().map((fn) => [
        fn.name,
        placeholderImageUri(region, this.repository, digests[fn.name] ?? zero),
      ]),
    );
  }

  /** Registry builder: assembles the images (no Docker); `docker`: writes the build contexts. */
  async build(options: { push?: boolean } = {}): Promise<void> {
    const builder = this.registryBuilder();
    if (!builder) {
      if (imageBuilder(this.host.custom()) === 'docker') this.host.writeBuildContexts();
      return;
    }
    const settings = await this.settings();
    const { function: only } = this.host.options;
    const one = typeof only === 'string' && options.push ? only : undefined;
    const functions = this.toBuild().filter((fn) => !one || fn.name === one);
    this.images = await builder.assembleFunctionImages(functions, settings);
    const functionsConfig = this.host.serverless.service.functions ?? {};
    if (options.push) {
      const target = await this.ecrTarget();
      for (const fn of functions) {
        const pushed = await builder.pushFunctionImage(fn, this.images.get(fn.name)!, target, settings);
        // `sls deploy function` hands this uri to UpdateFunctionCode as it is.
        functionsConfig[fn.name]!.image = pushed.reference;
      }
      return;
    }
    const digests = Object.fromEntries([...this.images].map(([name, image]) => [name, image.digest]));
    for (const [name, uri] of Object.entries(this.placeholderUris(digests)))
      functionsConfig[name]!.image = uri;
  }

  /** The stack's own account and region in each assembled function's uri: the template needs no credentials. */
  writeImageUris(template: CfnTemplate): void {
    for (const [name, image] of this.images) {
      const lambda = template.Resources[resourceIds(name).lambda];
      const code = (lambda?.Properties as { Code?: Record<string, unknown> } | undefined)?.Code;
      if (code) code.ImageUri = imageUriValue(this.repository, image.digest);
    }
  }

  private async settings(): Promise<import('./registry-builder').ImageSettings> {
    const aws = await awsClientConfig(this.host.serverless, this.host.options);
    return {
      serviceDir: this.host.serviceDir(),
      custom: this.host.custom(),
      utils: this.host.utils,
      ...(aws.credentials ? { awsCredentials: aws.credentials } : {}),
    };
  }

  /** The service's ECR repository in the deploying account and region. */
  private async ecrTarget(): Promise<{
    registry: string;
    repository: string;
    repositoryTags: Record<string, string>;
  }> {
    const { region } = regionAndStage(this.host.serverless, this.host.options);
    const { service, stage } = serviceAndStage(this.host.serverless, this.host.options);
    const account = await accountId(this.host.serverless, REGISTRY_FIX);
    return {
      registry: `${account}.dkr.ecr.${region}.amazonaws.com`,
      repository: this.repository,
      repositoryTags: repositoryTags(service, stage),
    };
  }

  /** Before the stack update: pushes each image ECR does not have yet (creating the repository). */
  async push(): Promise<void> {
    const builder = this.registryBuilder();
    if (!builder) return;
    const images = this.images.size ? this.images : builder.recordedImages(this.host.serviceDir());
    if (!images) {
      throw new ConfigError(
        'custom.containerLambda.builder',
        'no assembled image to push: run sls package (or sls deploy without --package) first',
      );
    }
    const settings = await this.settings();
    const target = await this.ecrTarget();
    for (const fn of this.toBuild()) {
      const image = images.get(fn.name);
      if (!image)
        throw new ConfigError(
          `functions.${fn.name}`,
          'its image was not assembled by the last sls package: package again',
        );
      await builder.pushFunctionImage(fn, image, target, settings);
    }
  }

  /** After the stack is gone: the registry builder's images deleted (see remove.ts), or kept for `keptBecause`. */
  async remove(keptBecause: string | undefined): Promise<void> {
    if (!this.registryBuilder()) return;
    const remove = require('./remove') as typeof import('./remove');
    const { service, stage } = serviceAndStage(this.host.serverless, this.host.options);
    const aws = await awsClientConfig(this.host.serverless, this.host.options);
    const images = {
      region: aws.region,
      repository: this.repository,
      ownerTags: repositoryTags(service, stage),
      imageTags: this.toBuild().map((fn) => imageTag(fn)),
      ...(aws.credentials ? { awsCredentials: aws.credentials } : {}),
    };
    if (keptBecause) {
      this.host.utils.log.notice(remove.keptNotice(images, keptBecause, !this.host.custom().repository));
      return;
    }
    await remove.removeServiceImages(images, this.host.utils);
  }
}
