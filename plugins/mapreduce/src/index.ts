// The @serverless-continuum/mapreduce plugin class: schema, commands and hooks; the work is in compile/ and commands/.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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
import { functionLogicalId, type ServiceContext } from './compile/names';
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
