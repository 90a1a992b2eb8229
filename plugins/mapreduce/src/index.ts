// The @serverless-continuum/mapreduce plugin class: schema, commands and hooks; the work is in compile/ and commands/.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '@serverless-continuum/core/errors';
import { inVpc } from '@serverless-continuum/core/cfn';
import {
  addInfoSection,
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

class MapreducePlugin {
  readonly hooks: Record<string, () => unknown>;
  readonly commands = commands;
  private readonly utils: PluginUtils;
  private resolved?: ResolvedJob[];
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
      'before:package:cleanup': () => checkPublishedTriggers(serverless),
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
    const assembling = jobs.filter((job) => job.runtime.streaming && !job.image?.uri);
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

  /**
   * Streaming jobs without a prebuilt `streaming.uri`: their image is assembled on `streaming.image` and pushed
   * (core's image assembler, no Docker); both functions then deploy its digest-pinned reference.
   */
  private async assembleStreamingImages(jobs: ResolvedJob[]): Promise<void> {
    const { bundle } =
      require('@serverless-continuum/core/bundle') as typeof import('@serverless-continuum/core/bundle');
    const image = require('./compile/streaming-image') as typeof import('./compile/streaming-image');
    const dir = serviceDir(this.serverless);
    const handlerFile = join(dir, '.serverless', 'mapreduce', 'streaming-handler.js');
    await bundle({ contents: image.imageHandlerEntry(), resolveDir: dir, outfile: handlerFile });
    const ctx = this.serviceContext();
    const provider = this.serverless.service.provider as { architecture?: string; region?: string };
    const architecture = provider.architecture === 'arm64' ? 'arm64' : 'x86_64';
    for (const job of jobs) {
      const target = job.image?.repository
        ? pushTargetOf(job.image.repository)
        : await this.defaultRepository(ctx);
      const reference = await image.assembleStreamingImage(job, {
        serviceDir: dir,
        architecture,
        handlerFile,
        target,
        cacheDir: join(dir, '.serverless', 'continuum-images'),
      });
      for (const role of ['mapper', 'reducer'] as const) {
        const fn = this.serverless.service.functions?.[functionKey(job.name, role)];
        if (fn && typeof fn.image === 'object') fn.image.uri = reference;
      }
    }
  }

  /** The deploying account's ECR repository `<service>-<stage>-mapreduce` (the account asked of STS). */
  private async defaultRepository(ctx: ServiceContext): Promise<{ registry: string; repository: string }> {
    const aws = this.serverless.getProvider('aws');
    const identity = (await aws?.request?.('STS', 'getCallerIdentity', {})) as
      { Account?: string } | undefined;
    if (!identity?.Account) {
      throw new ConfigError(
        'custom.mapreduce',
        'cannot tell which account to push the streaming image to',
        'set streaming.repository, or streaming.uri to an image built already',
      );
    }
    return {
      registry: `${identity.Account}.dkr.ecr.${aws!.getRegion()}.amazonaws.com`,
      repository: `${ctx.service}-${ctx.stage}-mapreduce`,
    };
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
      for (const key of recursiveLoopAllowed(job))
        setFunctionProperties(this.serverless, key, { RecursiveLoop: 'Allow' });
    }
  }
}

/** `registry.example:5000/team/repo` -> its registry and repository. */
function pushTargetOf(repository: string): { registry: string; repository: string } {
  const slash = repository.indexOf('/');
  return { registry: repository.slice(0, slash), repository: repository.slice(slash + 1) };
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
