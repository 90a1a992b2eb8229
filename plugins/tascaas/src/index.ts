// The @serverless-continuum/tascaas plugin class: schema, commands and hooks; the work is in compile/ and commands/.
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
  mergeOutputs,
  mergeResources,
  pluginUtils,
  providerIam,
  reportPackagedResources,
  serviceDir,
  warnMisspeltCustomBlock,
  wrapHooks,
  type CliOptions,
  type PluginUtils,
  type PluginUtilsInput,
  type ServerlessLike,
} from '@serverless-continuum/core/serverless';
import { checkPublishedTriggers, publishTriggerUnits } from '@serverless-continuum/core/functions';
import {
  resolveSettings,
  tascaasSchema,
  type TascaasConfig,
  type TascaasJobConfig,
  type TascaasSettings,
} from './config';
import {
  ROLES,
  artifactPlan,
  compileFunctions,
  compileOutputs,
  compileResources,
  dependOnWorkerPolicy,
  functionLogicalId,
  functionNamesByRole,
  infoLines,
  stackRoleOf,
  triggerUnits,
  workerAdditions,
  workerPolicy,
  type Role,
  type ServiceContext,
} from './compile';
import { commands } from './commands/definitions';
import type { CommandContext } from './commands/context';
import type { JobDefinition as ServiceJobDefinition } from './service/types';

class TascaasPlugin {
  readonly hooks: Record<string, () => unknown>;
  readonly commands = commands;
  private readonly utils: PluginUtils;
  private resolved?: TascaasSettings;
  /** Keys under `functions:` this plugin added (the framework compiles them, so they carry no mark). */
  private added: string[] = [];
  /** Each role's deployed functions (a role's S3 triggers on several existing buckets take one function each). */
  private functionNames: Partial<Record<Role, string[]>> = {};

  constructor(
    private readonly serverless: ServerlessLike,
    private readonly options: CliOptions = {},
    utils?: PluginUtilsInput,
  ) {
    this.utils = pluginUtils(utils);
    defineCustomProperty(serverless, 'tascaas', tascaasSchema);
    this.hooks = wrapHooks(serverless, {
      // Functions are added here, before `package:*`, so the framework compiles them like its own.
      initialize: () => {
        warnMisspeltCustomBlock(serverless, 'tascaas', 'tascaas', (m) => this.utils.log.warning(m));
        this.addFunctions();
      },
      // The first package step: every plugin has published its triggers in `initialize` by then.
      'before:package:cleanup': () => checkPublishedTriggers(serverless),
      // After `package:cleanup` empties `.serverless/`, before the framework checks function artifacts.
      'before:package:createDeploymentArtifacts': () => this.buildArtifact(),
      'package:compileEvents': () => this.addResources(),
      'after:package:finalize': () => reportPackagedResources(serverless, this.utils, 'tascaas', this.added),
      'aws:info:displayServiceInfo': () => addInfoSection(serverless, 'tascaas', infoLines(this.settings())),
      ...commandHelpHook('tascaas', commands.tascaas, this.utils),
      // Commands load on demand: their clients would slow every other command's start-up.
      ...lazyCommandHooks(() => this.commandContext(), {
        'tascaas:serve:serve': () =>
          (require('./commands/serve') as typeof import('./commands/serve')).serveCommand,
        'tascaas:worker:worker': () =>
          (require('./commands/worker') as typeof import('./commands/worker')).workerCommand,
        'tascaas:submit:submit': () =>
          (require('./commands/submit') as typeof import('./commands/submit')).submitCommand,
        'tascaas:status:status': () =>
          (require('./commands/status') as typeof import('./commands/status')).statusCommand,
      }),
    });
  }

  private settings(): TascaasSettings {
    this.resolved ??= resolveSettings(this.serverless.service.custom?.tascaas, this.serverless.service);
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
      settings: this.settings(),
      serviceDir: serviceDir(this.serverless),
    };
  }

  private addFunctions(): void {
    const settings = this.settings();
    publishTriggerUnits(this.serverless, 'tascaas', triggerUnits(settings.definitions));
    if (!settings.definitions.length) return;
    const service = this.serverless.service;
    service.functions ??= {};
    // Decided on the user's service as written, before the plugin's own `s3` events are in it.
    const createdHere = new Map<string, boolean>();
    const functions = compileFunctions(
      {
        ...this.serviceContext(),
        runtime: service.provider.runtime ?? 'nodejs20.x',
        existingFunctions: Object.keys(service.functions),
        createdHere: (trigger) => {
          const key = trigger.location.bucket;
          if (!createdHere.has(key)) createdHere.set(key, bucketCreatedHere(service, key, trigger.path));
          return createdHere.get(key)!;
        },
      },
      settings,
    );
    const providerTimeout =
      typeof service.provider.timeout === 'number' ? service.provider.timeout : undefined;
    workerAdditions(settings, service.functions, providerTimeout);
    Object.assign(service.functions, functions);
    this.added.push(...Object.keys(functions));
    this.functionNames = functionNamesByRole(functions);
  }

  private async buildArtifact(): Promise<void> {
    if (!this.settings().definitions.length) return;
    // Loaded on demand: esbuild is only needed when packaging.
    const { bundleZip } =
      require('@serverless-continuum/core/bundle') as typeof import('@serverless-continuum/core/bundle');
    const dir = serviceDir(this.serverless);
    const plan = artifactPlan(dir);
    const progress = this.utils.progress.create({
      message: 'Bundling tascaas functions',
      name: 'tascaas-bundle',
    });
    try {
      mkdirSync(dirname(plan.zipFile), { recursive: true });
      await bundleZip({ contents: plan.contents, resolveDir: dir, zipFile: plan.zipFile });
    } finally {
      progress.remove();
    }
  }

  /** After the framework compiled the functions: it has decided which of them are in a VPC, and their roles. */
  private addResources(): void {
    const settings = this.settings();
    if (!settings.definitions.length) return;
    const boundary = providerIam(this.serverless.service.provider).permissionsBoundary;
    const template = compiledTemplate(this.serverless);
    const ctx = {
      ...this.serviceContext(),
      vpcRoles: new Set(ROLES.filter((role) => inVpc(template, functionLogicalId(role)))),
      ...(boundary !== undefined ? { permissionsBoundary: boundary } : {}),
      functionNames: this.functionNames,
    };
    mergeResources(this.serverless, 'tascaas', compileResources(ctx, settings));
    mergeOutputs(this.serverless, compileOutputs(settings));
    const naming = this.serverless.getProvider('aws')?.naming;
    for (const definition of settings.definitions) {
      if (!definition.worker) continue;
      const fnId = naming?.getLambdaLogicalId(definition.worker) ?? '';
      const role = stackRoleOf(template, fnId);
      if (!role) {
        this.utils.log.warning(
          `custom.tascaas.${definition.name}.worker: function ${definition.worker} runs with a role this stack does not own; ` +
            'grant it what the tascaas README lists for a worker (its queue, the table, the results and input objects, the secret)',
        );
        continue;
      }
      mergeResources(this.serverless, 'tascaas', workerPolicy(settings, definition, role));
      dependOnWorkerPolicy(template, definition, fnId);
    }
  }
}

// The plugin is a CommonJS class export (what the framework loads); user-facing types ride on a merged namespace.
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace TascaasPlugin {
  /** `custom.tascaas` in a serverless.ts. */
  export type Config = TascaasConfig;
  export type JobConfig = TascaasJobConfig;
  export type JobDefinition = ServiceJobDefinition;
}

export = TascaasPlugin;
