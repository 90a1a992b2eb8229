// The @serverless-continuum/oscar-target plugin class: the framework's provider `oscar` (schema, and the
// framework's own commands on an OSCAR cluster); the work is in config.ts, service-definition.ts and commands/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError } from '@serverless-continuum/core/errors';
import { importOscarFdlFile } from '@serverless-continuum/core/functions';
import {
  commandHelpHook,
  defineCustomProperty,
  lazyCommandHooks,
  pluginUtils,
  registerProvider,
  serviceDir,
  wrapHooks,
  type CliOptions,
  type PluginUtils,
  type PluginUtilsInput,
  type ServerlessFunctionConfig,
  type ServerlessLike,
} from '@serverless-continuum/core/serverless';
import type { OscarClient, OscarService } from './client/types';
import { createClient } from './client/factory';
import {
  clientOptions,
  customSchema,
  functionPropertiesSchema,
  lambdaKeyNotices,
  PROVIDER,
  providerSchema,
  resolveOscarFunction,
  type OscarCustom,
  type OscarFunctionConfig,
  type OscarFunctionProperties,
  type OscarProviderConfig,
  type ResolvedOscarFunction,
  type StorageProvidersConfig,
} from './config';
import { fdlFunctionConfig } from './fdl';
import { redacted, serviceDefinition, trackingValue } from './service-definition';
import { commands } from './commands/definitions';
import type { CommandContext } from './commands/context';

/** Where `sls package` writes the service definitions. */
const PACKAGE_FILE = join('.serverless', 'oscar-services.json');

class OscarTargetPlugin {
  /** The framework loads this plugin's hooks and commands only for services on this provider. */
  readonly provider = PROVIDER;
  readonly hooks: Record<string, () => unknown>;
  readonly commands = commands;
  private readonly utils: PluginUtils;
  private readonly resolved = new Map<string, ResolvedOscarFunction>();
  private readonly definitions = new Map<string, OscarService>();
  private readonly importedFrom = new Map<string, string>();
  private importedStorage: StorageProvidersConfig = {};
  private client?: OscarClient;

  constructor(
    private readonly serverless: ServerlessLike,
    private readonly options: CliOptions = {},
    utils?: PluginUtilsInput,
  ) {
    this.utils = pluginUtils(utils);
    const { name: _name, stage: _stage, ...providerProperties } = providerSchema.properties;
    registerProvider(serverless, this, {
      name: PROVIDER,
      schema: {
        provider: { properties: providerProperties, required: providerSchema.required },
        function: functionPropertiesSchema,
      },
    });
    defineCustomProperty(serverless, 'oscar', customSchema);
    this.hooks = wrapHooks(serverless, {
      initialize: () => this.prepare(),
      'package:compileFunctions': () => this.writePackage(),
      ...commandHelpHook('oscar', commands.oscar, this.utils),
      ...lazyCommandHooks(() => this.commandContext(), {
        'deploy:deploy': () =>
          (require('./commands/deploy') as typeof import('./commands/deploy')).deployCommand,
        'deploy:function:deploy': () =>
          (require('./commands/deploy') as typeof import('./commands/deploy')).deployFunctionCommand,
        'invoke:invoke': () =>
          (require('./commands/invoke') as typeof import('./commands/invoke')).invokeCommand,
        'invoke:local:invoke': () =>
          (require('./commands/invoke-local') as typeof import('./commands/invoke-local')).invokeLocalCommand,
        'logs:logs': () => (require('./commands/logs') as typeof import('./commands/logs')).logsCommand,
        'info:info': () => (require('./commands/info') as typeof import('./commands/info')).infoCommand,
        'remove:remove': () =>
          (require('./commands/remove') as typeof import('./commands/remove')).removeCommand,
        'oscar:put:put': () =>
          (require('./commands/storage') as typeof import('./commands/storage')).putCommand,
        'oscar:get:get': () =>
          (require('./commands/storage') as typeof import('./commands/storage')).getCommand,
        'oscar:ls:list': () =>
          (require('./commands/storage') as typeof import('./commands/storage')).lsCommand,
      }),
    });
  }

  private get custom(): OscarCustom {
    return (this.serverless.service.custom?.oscar ?? {}) as OscarCustom;
  }

  private get providerConfig(): OscarProviderConfig {
    return this.serverless.service.provider as unknown as OscarProviderConfig;
  }

  private get dir(): string {
    return serviceDir(this.serverless);
  }

  private get tracking(): string {
    const stage =
      (typeof this.options.stage === 'string' && this.options.stage) || this.providerConfig.stage || 'dev';
    return trackingValue(this.serverless.service.service ?? 'service', stage);
  }

  private commandContext(): CommandContext {
    return {
      serverless: this.serverless,
      options: this.options,
      utils: this.utils,
      endpoint: this.providerConfig.endpoint.replace(/\/+$/, ''),
      tracking: this.tracking,
      functions: this.resolved,
      definitions: this.definitions,
      client: () => (this.client ??= this.makeClient()),
    };
  }

  private makeClient(): OscarClient {
    const provider = this.providerConfig;
    const ca = provider.ca
      ? readFileSync(isAbsolute(provider.ca) ? provider.ca : resolve(this.dir, provider.ca), 'utf8')
      : undefined;
    return createClient(
      clientOptions(provider, { ...(ca ? { ca } : {}), log: (line) => this.utils.log.verbose(line) }),
    );
  }

  /** Imports FDL services, checks every function, and builds each one's OSCAR service definition. */
  private prepare(): void {
    this.importFdl();
    const storageProviders = mergeStorage(this.importedStorage, this.custom.storageProviders ?? {});
    for (const [name, fn] of Object.entries(this.serverless.service.functions ?? {})) {
      for (const notice of lambdaKeyNotices(name, fn as OscarFunctionConfig)) this.utils.log.notice(notice);
      try {
        const resolved = resolveOscarFunction(name, fn as OscarFunctionConfig, {
          serviceDir: this.dir,
          storageProviders,
          readScript: (path) => readFileSync(path, 'utf8'),
        });
        this.resolved.set(name, resolved);
        this.definitions.set(name, serviceDefinition(resolved, this.tracking));
        // OSCAR takes the script in the definition: the framework's zip of the service folder is never used.
        const entry = fn as ServerlessFunctionConfig;
        entry.package = { ...entry.package, disable: true } as NonNullable<
          ServerlessFunctionConfig['package']
        >;
      } catch (error) {
        const source = this.importedFrom.get(name);
        if (!(error instanceof ConfigError) || !source) throw error;
        throw new ConfigError(
          error.path,
          `${error.message.slice(error.path.length + 2)} [imported from ${source}]`,
        );
      }
    }
  }

  private importFdl(): void {
    const files = this.custom.fdl;
    if (!files) return;
    const service = this.serverless.service;
    service.functions ??= {};
    for (const fdl of [files].flat()) {
      const file = isAbsolute(fdl) ? fdl : resolve(this.dir, fdl);
      const imported = importOscarFdlFile(file, { configPath: 'custom.oscar.fdl' });
      for (const notice of imported.notices) this.utils.log.notice(`${fdl}: ${notice}`);
      for (const def of imported.functions) {
        if (service.functions[def.name]) {
          throw new ConfigError(`functions.${def.name}`, `also defined in ${fdl}`, 'rename one of them');
        }
        service.functions[def.name] = fdlFunctionConfig(def) as ServerlessFunctionConfig;
        if (def.source) this.importedFrom.set(def.name, relative(this.dir, def.source));
      }
      this.importedStorage = mergeStorage(
        this.importedStorage,
        imported.storageProviders as StorageProvidersConfig,
      );
      this.utils.log.verbose(`Imported ${imported.functions.length} OSCAR service(s) from ${fdl}`);
    }
  }

  /** Offline: the definitions `sls deploy` would send, secrets and storage credentials redacted. */
  private writePackage(): void {
    const file = join(this.dir, PACKAGE_FILE);
    mkdirSync(join(this.dir, '.serverless'), { recursive: true });
    const services = [...this.definitions.values()].map(redacted);
    writeFileSync(
      file,
      `${JSON.stringify({ endpoint: this.providerConfig.endpoint, label: this.tracking, services }, null, 2)}\n`,
    );
    this.utils.log.notice(`oscar-target: ${services.length} OSCAR service definition(s) in ${PACKAGE_FILE}`);
  }
}

function mergeStorage(a: StorageProvidersConfig, b: StorageProvidersConfig): StorageProvidersConfig {
  const out: Record<string, Record<string, unknown>> = {};
  for (const source of [a, b]) {
    for (const [type, byId] of Object.entries(source)) out[type] = { ...out[type], ...(byId as object) };
  }
  return out as StorageProvidersConfig;
}

// The plugin is a CommonJS class export (what the framework loads); user-facing types ride on a merged namespace.
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace OscarTargetPlugin {
  /** The function properties on `provider: oscar`. */
  export type Properties = OscarFunctionProperties;
  export type Provider = OscarProviderConfig;
  export type Custom = OscarCustom;
}

export = OscarTargetPlugin;
