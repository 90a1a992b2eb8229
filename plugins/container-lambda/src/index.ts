// The @serverless-continuum/container-lambda plugin class: schema, commands and hooks; the work is in
// config.ts (rules), compile/ (pure), image/ (the function images), build-context/ and commands/.
import { isAbsolute, relative, resolve } from 'node:path';
import {
  addInfoSection,
  commandHelpHook,
  compiledTemplate,
  defineCustomProperty,
  defineFunctionProperties,
  keepEcrRepositoryOnRemove,
  lazyCommandHooks,
  mergeResources,
  pluginUtils,
  regionAndStage,
  reportPackagedResources,
  serviceDir,
  warnMisspeltCustomBlock,
  wrapHooks,
  type CliOptions,
  type PluginUtils,
  type PluginUtilsInput,
  type ServerlessFunctionConfig,
  type ServerlessLike,
} from '@serverless-continuum/core/serverless';
import { ConfigError } from '@serverless-continuum/core/errors';
import {
  checkPublishedTriggers,
  importScarFdlFile,
  type FdlImport,
  type FunctionDefinition,
  oscarOnlyKeys,
  oscarOnlyKeysSchema,
  publishTriggerUnits,
} from '@serverless-continuum/core/functions';
import {
  checkTriggerOverlaps,
  customSchema,
  fdlFunctionConfig,
  functionPropertiesSchema,
  isContainerFunction,
  nonStringProperties,
  resolveContainerFunction,
  type BatchConfig,
  type ContainerFunctionConfig,
  type ContainerFunctionProperties,
  type ContainerLambdaCustom,
  type ContainerSpec,
  type ResolvedContainerFunction,
  type StorageProvidersConfig,
} from './config';
import {
  compileOptions,
  compileService,
  frameworkResourceChanges,
  imageFunctions,
  infoLines,
  triggerUnits,
} from './compile';
import { ServiceImages } from './image/service-images';
import { commands } from './commands/definitions';
import type { CommandContext } from './commands/command-context';

const PLUGIN = 'container-lambda';

class ContainerLambdaPlugin {
  readonly hooks: Record<string, () => unknown>;
  readonly commands = commands;
  private readonly utils: PluginUtils;
  private resolved = new Map<string, ResolvedContainerFunction>();
  private readonly images: ServiceImages;
  private managedRoles = new Set<string>();
  /** FDL-imported function -> `file functions.aws[i].lambda`, for messages. */
  private importedFrom = new Map<string, string>();
  /** `custom.containerLambda.storageProviders`, with the MinIO servers FDL files describe. */
  private storageProviders: StorageProvidersConfig | undefined;
  /** FDL files that asked to keep the image repository (SCAR's `ecr.delete_image: false`), for the notice. */
  private keepImagesFrom: string[] = [];
  /** Type errors seen before the framework's validator coerced the values (see nonStringProperties). */
  private readonly typeErrors: ConfigError[];

  constructor(
    private readonly serverless: ServerlessLike,
    private readonly options: CliOptions = {},
    utils?: PluginUtilsInput,
  ) {
    this.utils = pluginUtils(utils);
    this.images = new ServiceImages({
      serverless,
      options,
      utils: this.utils,
      custom: () => this.custom,
      serviceDir: () => this.dir,
      functions: () => [...this.resolved.values()],
      writeBuildContexts: () => this.writeBuildContexts(),
    });
    this.typeErrors = nonStringProperties(serverless.service.functions);
    defineFunctionProperties(serverless, functionPropertiesSchema);
    // OSCAR's keys are accepted (one service file may deploy to OSCAR on another stage) and said to do nothing here.
    defineFunctionProperties(serverless, oscarOnlyKeysSchema);
    defineCustomProperty(serverless, 'containerLambda', customSchema);
    this.hooks = wrapHooks(serverless, {
      initialize: () => {
        warnMisspeltCustomBlock(serverless, 'containerLambda', PLUGIN, (m) => this.utils.log.warning(m));
        for (const path of oscarOnlyKeys(serverless.service.functions)) {
          this.utils.log.warning(
            `${path}: an OSCAR setting (provider: oscar, the oscar-target plugin); on AWS Lambda it does nothing`,
          );
        }
        this.prepareFunctions();
      },
      // The first package step: every plugin has published its triggers in `initialize` by then.
      'before:package:cleanup': () => {
        checkPublishedTriggers(serverless);
        this.images.registryBuilder()?.keepCacheAside(this.dir);
      },
      'after:package:cleanup': () => this.images.registryBuilder()?.restoreCache(this.dir),
      'before:package:compileFunctions': () => this.images.build(),
      'before:deploy:function:packageFunction': () => this.images.build({ push: true }),
      // After the framework packaged (its own before:deploy:deploy) and before it creates or updates the stack.
      'before:deploy:deploy': () => this.images.push(),
      'after:package:compileEvents': () => this.compileResources(),
      'before:remove:remove': () => this.keepFrameworkRepository(),
      // Once the stack is gone: no function uses the images any more.
      'after:remove:remove': () => this.images.remove(this.keepImagesReason()),
      'after:package:finalize': () =>
        reportPackagedResources(serverless, this.utils, PLUGIN, [...this.resolved.keys()]),
      'aws:info:displayServiceInfo': () =>
        addInfoSection(serverless, 'container functions', infoLines([...this.resolved.values()])),
      ...commandHelpHook('container', commands.container, this.utils),
      // Commands load on demand: their AWS SDK clients would slow every other command's start-up.
      ...lazyCommandHooks(() => this.commandContext(), {
        'container:context:write': () =>
          (require('./commands/context') as typeof import('./commands/context')).contextCommand,
        'container:build:build': () =>
          (require('./commands/build') as typeof import('./commands/build')).buildCommand,
        'container:run:run': () => (require('./commands/run') as typeof import('./commands/run')).runCommand,
        'container:invoke:invoke': () =>
          (require('./commands/invoke') as typeof import('./commands/invoke')).invokeCommand,
        'container:logs:logs': () =>
          (require('./commands/logs') as typeof import('./commands/logs')).logsCommand,
        'container:put:put': () =>
          (require('./commands/storage') as typeof import('./commands/storage')).putCommand,
        'container:get:get': () =>
          (require('./commands/storage') as typeof import('./commands/storage')).getCommand,
        'container:ls:list': () =>
          (require('./commands/storage') as typeof import('./commands/storage')).lsCommand,
      }),
    });
  }

  private get custom(): ContainerLambdaCustom {
    return (this.serverless.service.custom?.containerLambda ?? {}) as ContainerLambdaCustom;
  }

  private get dir(): string {
    return serviceDir(this.serverless);
  }

  private commandContext(): CommandContext {
    return {
      serverless: this.serverless,
      options: this.options,
      utils: this.utils,
      functions: this.resolved,
    };
  }

  /** Imports FDL functions, checks every container function, and turns each into an image function. */
  private prepareFunctions(): void {
    if (this.typeErrors[0]) throw this.typeErrors[0];
    this.importFdl();
    this.resolveFunctions();
    if (!this.resolved.size) return;
    const commands = this.serverless.processedInput?.commands ?? [];
    if (commands[0] === 'invoke' && commands[1] === 'local') {
      const { prepareInvokeLocal } =
        require('./commands/invoke-local') as typeof import('./commands/invoke-local');
      prepareInvokeLocal(this.commandContext());
    } else this.makeImageFunctions();
  }

  /** Every rule of config.ts, once, for every container function (FDL ones name their source). */
  private resolveFunctions(): void {
    const service = this.serverless.service;
    const functions = service.functions ?? {};
    const architecture =
      typeof service.provider.architecture === 'string' ? service.provider.architecture : undefined;
    for (const [name, fn] of Object.entries(functions)) {
      if (!isContainerFunction(fn)) continue;
      try {
        this.resolved.set(
          name,
          resolveContainerFunction(name, fn, {
            serviceDir: this.dir,
            batchDefaults: this.custom.batch,
            lambdaName: fn.name,
            architecture,
            prebuiltImage: this.custom.images?.[name],
            providerTimeout:
              typeof service.provider.timeout === 'number' ? service.provider.timeout : undefined,
            storageProviders: this.storageProviders,
          }),
        );
      } catch (error) {
        const source = this.importedFrom.get(name);
        if (!(error instanceof ConfigError) || !source) throw error;
        throw new ConfigError(
          error.path,
          `${error.message.slice(error.path.length + 2)} [imported from ${source}]`,
        );
      }
    }
    for (const name of Object.keys(this.custom.images ?? {})) {
      if (!this.resolved.has(name)) {
        throw new ConfigError(
          `custom.containerLambda.images.${name}`,
          'names no container function of this service',
        );
      }
    }
    checkTriggerOverlaps([...this.resolved.values()]);
    publishTriggerUnits(
      this.serverless,
      PLUGIN,
      triggerUnits([...this.resolved.values()], this.importedFrom),
    );
  }

  /** Image, role, events, variables, ECR build context and binary API setting, before the framework compiles. */
  private makeImageFunctions(): void {
    const { functions = {}, provider } = this.serverless.service;
    const changes = imageFunctions(
      [...this.resolved.values()],
      { functions, provider },
      this.images.placeholderUris(),
    );
    for (const notice of changes.notices) this.utils.log.notice(notice);
    this.managedRoles = changes.managedRoles;
    for (const [name, values] of Object.entries(changes.functions)) Object.assign(functions[name]!, values);
    if (changes.ecrImages) provider.ecr = { ...provider.ecr, images: changes.ecrImages };
    if (changes.apiGateway) provider.apiGateway = changes.apiGateway;
  }

  private importFdl(): void {
    this.storageProviders = this.custom.storageProviders;
    const files = this.custom.fdl;
    if (!files) return;
    for (const fdl of [files].flat()) this.importFdlFile(fdl);
  }

  private importFdlFile(fdl: string): void {
    const file = isAbsolute(fdl) ? fdl : resolve(this.dir, fdl);
    const { region } = regionAndStage(this.serverless, this.options);
    const imported = importScarFdlFile(file, {
      region,
      configPath: 'custom.containerLambda.fdl',
      prebuilt: new Set(Object.keys(this.custom.images ?? {})),
    });
    for (const notice of imported.notices) this.utils.log.notice(`${fdl}: ${notice}`);
    const service = this.serverless.service;
    service.functions ??= {};
    if (imported.functions.some((def) => def.keepImage)) this.keepImagesFrom.push(fdl);
    this.addStorageProviders(imported.storageProviders, fdl);
    this.nameApi(imported.functions, fdl);
    for (const def of imported.functions) {
      if (service.functions[def.name]) {
        throw new ConfigError(`functions.${def.name}`, `also defined in ${fdl}`, 'rename one of them');
      }
      service.functions[def.name] = fdlFunctionConfig(def) as ServerlessFunctionConfig;
      if (def.source) this.importedFrom.set(def.name, relative(this.dir, def.source));
    }
    // The framework names functions before plugins initialise: name the imported ones the same way.
    (service as { setFunctionNames?: (options: CliOptions) => void }).setFunctionNames?.(
      (this.serverless.processedInput?.options as CliOptions | undefined) ?? this.options,
    );
    this.utils.log.verbose(`Imported ${imported.functions.length} function(s) from ${fdl}`);
  }

  /** An FDL file's storage accounts join the service's; one the service describes already is the service's. */
  private addStorageProviders(imported: FdlImport['storageProviders'], fdl: string): void {
    for (const type of ['minio', 'webdav', 'onedata'] as const) {
      for (const [id, account] of Object.entries(imported?.[type] ?? {})) {
        const accounts: Record<string, unknown> = { ...(this.storageProviders?.[type] ?? {}) };
        if (accounts[id]) {
          this.utils.log.notice(
            `${fdl}: storage_providers.${type}.${id}: custom.containerLambda.storageProviders.${type}.${id} is used instead`,
          );
          continue;
        }
        accounts[id] = account;
        this.storageProviders = { ...this.storageProviders, [type]: accounts } as StorageProvidersConfig;
      }
    }
  }

  /**
   * SCAR's `api_gateway.name` names the REST API. The service has one API for all its functions: the name is
   * taken when the service sets none and the file's functions agree on it.
   */
  private nameApi(functions: FunctionDefinition[], fdl: string): void {
    const names = [...new Set(functions.flatMap((def) => (def.apiName ? [def.apiName] : [])))];
    if (!names.length) return;
    const provider = this.serverless.service.provider as { apiName?: unknown };
    if (provider.apiName === undefined && names.length === 1) provider.apiName = names[0];
    else {
      this.utils.log.notice(
        `${fdl}: api_gateway.name ${names.join(', ')} not used: the service has one REST API for all its functions${provider.apiName === undefined ? '' : `, named by provider.apiName`}`,
      );
    }
  }

  /** Why the images stay on `sls remove`: `keepImages` or an FDL file's `ecr.delete_image: false`; else undefined. */
  private keepImagesReason(): string | undefined {
    if (this.custom.keepImages) return 'custom.containerLambda.keepImages';
    if (this.keepImagesFrom.length) return `ecr.delete_image: false in ${this.keepImagesFrom.join(', ')}`;
    return undefined;
  }

  /** `builder: docker`: the framework's own repository stays when asked (it deletes it otherwise). */
  private keepFrameworkRepository(): void {
    const why = this.keepImagesReason();
    if (!why || this.images.registryBuilder()) return;
    if (keepEcrRepositoryOnRemove(this.serverless)) {
      // The framework's own name for it (its naming.getEcrRepositoryName).
      const { stage } = regionAndStage(this.serverless, this.options);
      const repository = `serverless-${String(this.serverless.service.service)}-${stage}`;
      this.utils.log.notice(
        `The image repository ${repository} is kept (${why}); delete it with: aws ecr delete-repository --force --repository-name ${repository}`,
      );
    } else {
      this.utils.log.warning(
        `${why}: this framework's remove step was not found; its image repository may be removed`,
      );
    }
  }

  /** After the framework cleaned `.serverless`: stop if an image must be built and Docker is not there; write the contexts. */
  private writeBuildContexts(): void {
    // Loaded on demand: only packaging builds images.
    const { writeBuildContexts } =
      require('./build-context/docker') as typeof import('./build-context/docker');
    writeBuildContexts([...this.resolved.values()], this.dir);
  }

  /** After the framework compiled functions and events: buckets, roles, Batch, and the supervisor's variables. */
  private compileResources(): void {
    if (!this.resolved.size) return;
    const functions = [...this.resolved.values()];
    const template = compiledTemplate(this.serverless);
    this.images.writeImageUris(template);
    const options = compileOptions(functions, template, this.serverless.service.provider, this.managedRoles);
    mergeResources(this.serverless, PLUGIN, compileService(functions, options).resources);
    Object.assign(template.Resources, frameworkResourceChanges(functions, template));
  }
}

// The plugin is a CommonJS class export (what the framework loads); user-facing types ride on a merged namespace.
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace ContainerLambdaPlugin {
  /** This plugin's function properties (`container`, `input`, `output`, `execution`, `batch`, `api`). */
  export type Properties = ContainerFunctionProperties;
  /** A loose container function shape (any framework key allowed). */
  export type ContainerFunction = ContainerFunctionConfig;
  /**
   * The framework's function type `F` plus this plugin's properties. In a typed `serverless.ts`:
   * `const f = { ... } satisfies WithContainer<NonNullable<AWS['functions']>[string]>`, then `functions: { f }`
   * (a checked variable passes `@serverless/typescript`'s AWS type, and typos are caught).
   */
  export type WithContainer<F extends object> = F & ContainerFunctionProperties;
  export type Container = ContainerSpec;
  export type Batch = BatchConfig;
  export type Custom = ContainerLambdaCustom;
}

export = ContainerLambdaPlugin;
