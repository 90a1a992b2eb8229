// The @serverless-continuum/mapreduce plugin class: schema, commands and hooks; the work is in compile/ and commands/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '@serverless-continuum/core/errors';
import { inVpc } from '@serverless-continuum/core/cfn';
import type { AssembledImage, ImageOptions } from '@serverless-continuum/core/image';
import {
  defaultImageRepository,
  IMAGE_CACHE_DIR,
  imageUriValue,
  keepCacheAside,
  placeholderImageUri,
  restoreCache,
} from '@serverless-continuum/core/image/settings';
import {
  accountId,
  addInfoSection,
  awsClientConfig,
  regionAndStage,
  serviceAndStage,
  bucketCreatedHere,
  commandHelpHook,
  compiledTemplate,
  defineCustomProperty,
  lazyCommandHooks,
  mergeResources,
  pluginUtils,
  providerIam,
  reportPackagedResources,
  serviceDir,
  setFunctionProperties,
  warnMisspeltCustomBlock,
  wrapHooks,
  type CliOptions,
  type PluginUtils,
  type PluginUtilsInput,
  type ServerlessLike,
} from '@serverless-continuum/core/serverless';
import { checkPublishedTriggers, publishTriggerUnits } from '@serverless-continuum/core/functions';
import {
  ROLES,
  mapreduceSchema,
  resolveJobs,
  type MapreduceConfig,
  type MapreduceJobConfig,
  type ResolvedJob,
} from './config';
import {
  artifactPlans,
  compileFunctions,
  compileResources,
  infoLines,
  missingExportError,
  recursiveLoopAllowed,
  triggerUnit,
} from './compile';
import { functionKey, functionLogicalId, type ServiceContext } from './compile/names';
import { commands } from './commands/definitions';
import type { CommandContext } from './commands/context';
import type { JobRuntimeConfig } from './runtime/contract';
import type * as runtimeTypes from './runtime/types';

/** What `sls package` assembled for streaming jobs, for a later `sls deploy --package`. */
const IMAGE_RECORD = join('.serverless', 'mapreduce-images.json');

class MapreducePlugin {
  readonly hooks: Record<string, () => unknown>;
  readonly commands = commands;
  private readonly utils: PluginUtils;
  private resolved?: ResolvedJob[];
  /** Streaming images assembled by this package, by job. */
  private images = new Map<string, AssembledImage>();
  /** Keys under `functions:` this plugin added (the framework compiles them, so they carry no mark). */
  private added: string[] = [];

  constructor(
    private readonly serverless: ServerlessLike,
    private readonly options: CliOptions = {},
    utils?: PluginUtilsInput,
  ) {
    this.utils = pluginUtils(utils);
    defineCustomProperty(serverless, 'mapreduce', mapreduceSchema);
    this.hooks = wrapHooks(serverless, {
      // Functions are added here, before `package:*`, so the framework compiles them like its own.
      initialize: () => {
        warnMisspeltCustomBlock(serverless, 'mapreduce', 'mapreduce', (m) => this.utils.log.warning(m));
        this.addFunctions();
      },
      // The first package step: every plugin has published its triggers in `initialize` by then.
      'before:package:cleanup': () => {
        checkPublishedTriggers(serverless);
        if (this.assembling().length) keepCacheAside(serviceDir(serverless));
      },
      'after:package:cleanup': () => {
        if (this.assembling().length) restoreCache(serviceDir(serverless));
      },
      // After the framework packaged (its own before:deploy:deploy) and before it creates or updates the stack.
      'before:deploy:deploy': () => this.pushStreamingImages(),
      // After `package:cleanup` empties `.serverless/`, before the framework checks function artifacts.
      'before:package:createDeploymentArtifacts': () => this.buildArtifacts(),
      'package:compileEvents': () => this.addResources(),
      'after:package:finalize': () =>
        reportPackagedResources(serverless, this.utils, 'mapreduce', this.added),
      'aws:info:displayServiceInfo': () => addInfoSection(serverless, 'mapreduce', infoLines(this.jobs())),
      ...commandHelpHook('mapreduce', commands.mapreduce, this.utils),
      // Commands load on demand: their AWS SDK clients would slow every other command's start-up.
      ...lazyCommandHooks(() => this.commandContext(), {
        'mapreduce:run:run': () => (require('./commands/run') as typeof import('./commands/run')).runCommand,
        'mapreduce:status:status': () =>
          (require('./commands/status') as typeof import('./commands/status')).statusCommand,
        'mapreduce:logs:logs': () =>
          (require('./commands/logs') as typeof import('./commands/logs')).logsCommand,
      }),
    });
  }

  private jobs(): ResolvedJob[] {
    this.resolved ??= resolveJobs(this.serverless.service.custom?.mapreduce, serviceDir(this.serverless));
    return this.resolved;
  }

  private serviceContext(): ServiceContext {
    return serviceAndStage(this.serverless, this.options);
  }

  private commandContext(): CommandContext {
    return {
      serverless: this.serverless,
      options: this.options,
      utils: this.utils,
      service: this.serviceContext(),
      jobs: this.jobs(),
    };
  }

  private addFunctions(): void {
    const jobs = this.jobs();
    publishTriggerUnits(this.serverless, 'mapreduce', jobs.map(triggerUnit));
    if (!jobs.length) return;
    const service = this.serverless.service;
    service.functions ??= {};
    const ctx = this.serviceContext();
    for (const job of jobs) {
      const functions = compileFunctions(
        {
          ...ctx,
          runtime: service.provider.runtime ?? 'nodejs20.x',
          inputBucketCreatedHere: bucketCreatedHere(
            service,
            job.runtime.input.bucket,
            `custom.mapreduce.${job.name}.input`,
          ),
          existingFunctions: Object.keys(service.functions),
          ...(typeof service.provider.logRetentionInDays === 'number'
            ? { providerLogRetentionInDays: service.provider.logRetentionInDays }
            : {}),
        },
        job,
      );
      Object.assign(service.functions, functions);
      this.added.push(...Object.keys(functions));
    }
  }

  private async buildArtifacts(): Promise<void> {
    const jobs = this.jobs();
    if (!jobs.length) return;
    const assembling = this.assembling();
    if (assembling.length) await this.assembleStreamingImages(assembling);
    // Loaded on demand: esbuild is only needed when packaging.
    const { bundleZip } =
      require('@serverless-continuum/core/bundle') as typeof import('@serverless-continuum/core/bundle');
    const dir = serviceDir(this.serverless);
    const progress = this.utils.progress.create({
      message: 'Bundling mapreduce functions',
      name: 'mapreduce-bundle',
    });
    try {
      // All roles at once: esbuild builds them in parallel in its own process.
      await Promise.all(
        jobs.flatMap((job) =>
          artifactPlans(job, dir).map(async (plan) => {
            mkdirSync(dirname(plan.zipFile), { recursive: true });
            try {
              await bundleZip({ contents: plan.contents, resolveDir: dir, zipFile: plan.zipFile });
            } catch (error) {
              throw missingExportError(job, plan.role, error, dir) ?? error;
            }
          }),
        ),
      );
    } finally {
      progress.remove();
    }
  }

  /** Streaming jobs whose image is assembled here (no prebuilt `streaming.uri`). */
  private assembling(): ResolvedJob[] {
    return this.jobs().filter((job) => job.runtime.streaming && !job.image?.uri);
  }

  /** The deploying account's ECR repository of a job's image. */
  private repositoryOf(job: ResolvedJob): string {
    const { service, stage } = this.serviceContext();
    return job.image?.repository ?? defaultImageRepository(service, stage);
  }

  private async imageOptions(job: ResolvedJob): Promise<ImageOptions> {
    const { streamingImageOptions } =
      require('./compile/streaming-image') as typeof import('./compile/streaming-image');
    const aws = await awsClientConfig(this.serverless, this.options);
    return streamingImageOptions(job, {
      cacheDir: join(serviceDir(this.serverless), IMAGE_CACHE_DIR),
      ...(aws.credentials ? { awsCredentials: aws.credentials } : {}),
    });
  }

  /**
   * Streaming jobs without a prebuilt `streaming.uri`: their image is assembled on `streaming.image` (core's image
   * assembler, no Docker, no credentials) and pushed at deploy; until the template is compiled, both functions
   * get a placeholder uri pinned by the image's digest, the framework's requirement for an image it does not build.
   */
  private async assembleStreamingImages(jobs: ResolvedJob[]): Promise<void> {
    const { bundle } =
      require('@serverless-continuum/core/bundle') as typeof import('@serverless-continuum/core/bundle');
    const image = require('./compile/streaming-image') as typeof import('./compile/streaming-image');
    const dir = serviceDir(this.serverless);
    const handlerFile = join(dir, '.serverless', 'mapreduce', 'streaming-handler.js');
    await bundle({ contents: image.imageHandlerEntry(), resolveDir: dir, outfile: handlerFile });
    const provider = this.serverless.service.provider as { architecture?: string };
    const architecture = provider.architecture === 'arm64' ? 'arm64' : 'x86_64';
    const { region } = regionAndStage(this.serverless, this.options);
    const progress = this.utils.progress.create({ message: 'Assembling mapreduce streaming images' });
    try {
      for (const job of jobs) {
        progress.update(`Image of ${job.name}: on ${job.image?.base}`);
        const assembled = await image.assembleStreamingImage(job, {
          ...(await this.imageOptions(job)),
          serviceDir: dir,
          architecture,
          handlerFile,
        });
        this.images.set(job.name, assembled);
        this.utils.log.verbose(`Image of ${job.name}: ${assembled.digest} on ${job.image?.base}`);
        for (const role of ['mapper', 'reducer'] as const) {
          const fn = this.serverless.service.functions?.[functionKey(job.name, role)];
          if (fn && typeof fn.image === 'object')
            fn.image.uri = placeholderImageUri(region, this.repositoryOf(job), assembled.digest);
        }
      }
    } finally {
      progress.remove();
    }
    writeFileSync(join(dir, IMAGE_RECORD), JSON.stringify(Object.fromEntries(this.images), null, 2));
  }

  /** Before the stack update: pushes each assembled image the deploying account's ECR does not have yet. */
  private async pushStreamingImages(): Promise<void> {
    const jobs = this.assembling();
    if (!jobs.length) return;
    const dir = serviceDir(this.serverless);
    const path = join(dir, IMAGE_RECORD);
    const images = this.images.size
      ? this.images
      : existsSync(path)
        ? new Map(Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, AssembledImage>))
        : new Map<string, AssembledImage>();
    const { pushStreamingImage } =
      require('./compile/streaming-image') as typeof import('./compile/streaming-image');
    const { region } = regionAndStage(this.serverless, this.options);
    const account = await accountId(this.serverless, 'set streaming.uri to an image built already');
    for (const job of jobs) {
      const image = images.get(job.name);
      if (!image) {
        throw new ConfigError(
          `custom.mapreduce.${job.name}.streaming`,
          'its image was not assembled by the last sls package: package again',
        );
      }
      const target = {
        registry: `${account}.dkr.ecr.${region}.amazonaws.com`,
        repository: this.repositoryOf(job),
      };
      const pushed = await pushStreamingImage(job, image, target, await this.imageOptions(job));
      this.utils.log.notice(
        `Image of ${job.name} pushed to ${target.repository}: ${pushed.uploadedBlobs} blob(s) uploaded${pushed.mountedBlobs ? `, ${pushed.mountedBlobs} mounted` : ''}`,
      );
    }
  }

  /** After the framework compiled the functions: it has decided which of them are in a VPC. */
  private addResources(): void {
    const boundary = providerIam(this.serverless.service.provider).permissionsBoundary;
    const template = compiledTemplate(this.serverless);
    for (const job of this.jobs()) {
      const ctx = {
        ...this.serviceContext(),
        vpcRoles: new Set(ROLES.filter((role) => inVpc(template, functionLogicalId(job.name, role)))),
        ...(boundary !== undefined ? { permissionsBoundary: boundary } : {}),
      };
      mergeResources(this.serverless, 'mapreduce', compileResources(ctx, job));
      // The stack's own account and region in the uri: the template is written with no credentials.
      const image = this.images.get(job.name);
      for (const role of image ? (['mapper', 'reducer'] as const) : []) {
        const lambda = template.Resources[functionLogicalId(job.name, role)];
        const code = (lambda?.Properties as { Code?: Record<string, unknown> } | undefined)?.Code;
        if (code) code.ImageUri = imageUriValue(this.repositoryOf(job), image!.digest);
      }
      for (const key of recursiveLoopAllowed(job))
        setFunctionProperties(this.serverless, key, { RecursiveLoop: 'Allow' });
    }
  }
}

// The plugin is a CommonJS class export (what the framework loads); user-facing types ride on a merged namespace.
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace MapreducePlugin {
  export type Config = MapreduceConfig;
  export type JobConfig = MapreduceJobConfig;
  export type RuntimeConfig = JobRuntimeConfig;
  export type Mapper<K = string, V = unknown, R = string> = runtimeTypes.Mapper<K, V, R>;
  export type Reducer<K = string, V = unknown, O = V> = runtimeTypes.Reducer<K, V, O>;
  export type MapContext = runtimeTypes.MapContext;
  export type ReduceContext = runtimeTypes.ReduceContext;
  export type RunReport = runtimeTypes.RunReport;
  export type FailureReport = runtimeTypes.FailureReport;
}

export = MapreducePlugin;
