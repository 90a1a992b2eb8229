// The @serverless-continuum/container-lambda plugin class: schema, commands and hooks; the work is in
// config.ts (rules), compile/ (pure), build-context/ and commands/.
import { spawnSync } from 'node:child_process';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  addInfoSection,
  awsClientConfig,
  compiledTemplate,
  defineCustomProperty,
  defineFunctionProperties,
  mergeResources,
  pluginUtils,
  regionAndStage,
  reportPackagedResources,
  serviceDir,
  subcommandLines,
  warnMisspeltCustomBlock,
  wrapHooks,
  type CliOptions,
  type PluginUtils,
  type PluginUtilsInput,
  type ServerlessFunctionConfig,
  type ServerlessLike,
} from '@serverless-continuum/core';
import {
  inVpc,
  logRetentionInDays,
  type CfnValue,
  type PolicyStatement,
} from '@serverless-continuum/core/cfn';
import { ConfigError, ContinuumError } from '@serverless-continuum/core/errors';
import {
  checkPublishedTriggers,
  importScarFdlFile,
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
} from './config';
import {
  batchTargets,
  buildContextDir,
  compileService,
  existingBuckets,
  functionPatch,
  infoLines,
  resourceIds,
  runtimeEnvironment,
  triggerUnits,
} from './compile';
import { environmentSize, LAMBDA_ENVIRONMENT_LIMIT } from './compile/environment';
import { writeBuildContext } from './build-context';
import { writeContext } from './commands/context';
import { runInCloud, runLocally } from './commands/run';
import { commandStorage, getOutputs, listLines, putFile } from './commands/storage';
import { writeInvokeLocalHandler } from './commands/invoke-local';

const PLUGIN = 'container-lambda';

function dockerRequired(functions: string[]): ContinuumError {
  const first = functions[0]!;
  return new ContinuumError(
    'CONTINUUM_DOCKER_REQUIRED',
    [
      `Docker is needed to build the image of ${functions.map((n) => `function "${n}"`).join(', ')}, and no Docker engine answers here (docker info failed).`,
      'Two ways out:',
      `  1. build elsewhere: sls container context -f ${first} --out <dir> writes the build context; build and push it in CI,`,
      `     then set functions.${first}.container.image (or custom.containerLambda.images.${first}) to the pushed ECR uri pinned by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest>;`,
      '  2. start Docker (with AWS credentials for the ECR push) and run this command again.',
    ].join('\n'),
  );
}

const functionOption = {
  usage: 'Name of the container function',
  shortcut: 'f',
  required: true,
  type: 'string',
};

class ContainerLambdaPlugin {
  readonly hooks: Record<string, () => unknown>;
  readonly commands = {
    container: {
      usage: 'Container functions (SCAR): build context, run a file through, put / get / ls the buckets',
      // A bare `sls container` runs this lifecycle: it lists the subcommands.
      lifecycleEvents: ['help'],
      commands: {
        context: {
          usage:
            'Write the Docker build context of a function (build it in CI, then use its digest-pinned uri)',
          lifecycleEvents: ['write'],
          options: {
            function: functionOption,
            out: { usage: 'Folder to write the context to', required: true, type: 'string' },
          },
        },
        run: {
          usage:
            'Upload a file to the input, wait for the outputs and download them (--local: on this machine)',
          lifecycleEvents: ['run'],
          options: {
            function: functionOption,
            file: { usage: 'The file to process', required: true, type: 'string' },
            local: { usage: 'Run the script on this machine (no container, no AWS)', type: 'boolean' },
            out: { usage: 'Folder for the outputs (default: ./<function>-output)', type: 'string' },
            wait: {
              usage: 'Seconds to wait for the outputs in the cloud (default: timeout + 60)',
              type: 'string',
            },
          },
        },
        put: {
          usage: "Upload a file to the function's input (starts a run)",
          lifecycleEvents: ['put'],
          options: {
            function: functionOption,
            file: { usage: 'The file to upload', required: true, type: 'string' },
            name: { usage: 'Object name under the input prefix (default: the file name)', type: 'string' },
          },
        },
        get: {
          usage: "Download the function's output objects",
          lifecycleEvents: ['get'],
          options: {
            function: functionOption,
            out: { usage: 'Folder for the outputs (default: ./<function>-output)', type: 'string' },
          },
        },
        ls: {
          usage: "List the objects in the function's input and output",
          lifecycleEvents: ['list'],
          options: { function: functionOption },
        },
      },
    },
  };

  private readonly utils: PluginUtils;
  private resolved = new Map<string, ResolvedContainerFunction>();
  private managedRoles = new Set<string>();
  /** FDL-imported function -> `file functions.aws[i].lambda`, for messages. */
  private importedFrom = new Map<string, string>();
  /** Type errors seen before the framework's validator coerced the values (see nonStringProperties). */
  private readonly typeErrors: ConfigError[];

  constructor(
    private readonly serverless: ServerlessLike,
    private readonly options: CliOptions = {},
    utils?: PluginUtilsInput,
  ) {
    this.utils = pluginUtils(utils);
    this.typeErrors = nonStringProperties(serverless.service.functions);
    defineFunctionProperties(serverless, functionPropertiesSchema);
    defineCustomProperty(serverless, 'containerLambda', customSchema);
    this.hooks = wrapHooks(serverless, {
      initialize: () => {
        warnMisspeltCustomBlock(serverless, 'containerLambda', PLUGIN, (m) => this.utils.log.warning(m));
        this.prepareFunctions();
      },
      // The first package step: every plugin has published its triggers in `initialize` by then.
      'before:package:cleanup': () => checkPublishedTriggers(serverless),
      'before:package:compileFunctions': () => this.writeBuildContexts(),
      'before:deploy:function:packageFunction': () => this.writeBuildContexts(),
      'after:package:compileEvents': () => this.compileResources(),
      'after:package:finalize': () =>
        reportPackagedResources(serverless, this.utils, PLUGIN, [...this.resolved.keys()]),
      'aws:info:displayServiceInfo': () => this.showInfo(),
      'container:help': () => this.utils.writeText(subcommandLines('container', this.commands.container)),
      'container:context:write': () => this.contextCommand(),
      'container:run:run': () => this.runCommand(),
      'container:put:put': () => this.putCommand(),
      'container:get:get': () => this.getCommand(),
      'container:ls:list': () => this.lsCommand(),
    });
  }

  /** `sls info` / `sls deploy`: what each container function reads, writes and where it runs. */
  showInfo(): void {
    addInfoSection(this.serverless, 'container functions', infoLines([...this.resolved.values()]));
  }

  private get custom(): ContainerLambdaCustom {
    return (this.serverless.service.custom?.containerLambda ?? {}) as ContainerLambdaCustom;
  }

  private get dir(): string {
    return serviceDir(this.serverless);
  }

  /** Imports FDL functions, checks every container function, and turns each into an image function. */
  prepareFunctions(): void {
    if (this.typeErrors[0]) throw this.typeErrors[0];
    this.importFdl();
    this.resolveFunctions();
    if (!this.resolved.size) return;
    const commands = this.serverless.processedInput?.commands ?? [];
    if (commands[0] === 'invoke' && commands[1] === 'local') this.prepareInvokeLocal();
    else this.makeImageFunctions();
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
    const service = this.serverless.service;
    const functions = service.functions ?? {};
    const existing = existingBuckets([...this.resolved.values()]);
    const provider = service.provider;
    for (const fn of this.resolved.values()) {
      const config = functions[fn.name]!;
      const manageRole = config.role === undefined;
      if (manageRole) this.managedRoles.add(fn.name);
      else
        this.utils.log.notice(
          `functions.${fn.name}.role is set: its S3 and Batch permissions are yours to grant`,
        );
      const patch = functionPatch(fn, { existingBuckets: existing, manageRole });
      config.image = patch.image;
      // On the function itself, not only in the template: `sls deploy function` sets the environment from here.
      config.environment = {
        ...(config.environment ?? {}),
        ...runtimeEnvironment(fn, { batch: fn.batch ? batchTargets(fn.name) : undefined }),
      };
      const size = environmentSize({
        ...(provider.environment as object | undefined),
        ...config.environment,
      });
      if (size > LAMBDA_ENVIRONMENT_LIMIT) {
        throw new ConfigError(
          `functions.${fn.name}`,
          `its environment variables (the supervisor's, with the input and output bindings, and yours) take about ${size} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT}`,
          'use fewer bindings or filters, or shorter container.environment values',
        );
      }
      if (patch.role) config.role = patch.role;
      // The framework's own setting, so that it writes the retention into the log group it creates.
      config.logRetentionInDays = logRetentionInDays(config.logRetentionInDays, provider.logRetentionInDays);
      config.events = [...(config.events ?? []), ...patch.events];
      if (patch.ecrImage) {
        const images = { ...(provider.ecr?.images ?? {}) };
        if (images[patch.ecrImage.name]) {
          throw new ConfigError(
            `provider.ecr.images.${patch.ecrImage.name}`,
            `already defined; function ${fn.name} needs this name for its image`,
          );
        }
        images[patch.ecrImage.name] = patch.ecrImage.config;
        provider.ecr = { ...provider.ecr, images };
      }
    }
    if ([...this.resolved.values()].some((fn) => fn.api)) {
      const apiGateway = (provider.apiGateway ?? {}) as { binaryMediaTypes?: string[] };
      const types = apiGateway.binaryMediaTypes ?? [];
      // Every body reaches the function base64-encoded and unchanged, as SCAR's API passes files.
      if (!types.includes('*/*'))
        provider.apiGateway = { ...apiGateway, binaryMediaTypes: [...types, '*/*'] };
    }
  }

  private importFdl(): void {
    const files = this.custom.fdl;
    if (!files) return;
    for (const fdl of [files].flat()) this.importFdlFile(fdl);
  }

  private importFdlFile(fdl: string): void {
    const file = isAbsolute(fdl) ? fdl : resolve(this.dir, fdl);
    const { region } = regionAndStage(this.serverless, this.options);
    const imported = importScarFdlFile(file, { region, configPath: 'custom.containerLambda.fdl' });
    for (const notice of imported.notices) this.utils.log.notice(`${fdl}: ${notice}`);
    const service = this.serverless.service;
    service.functions ??= {};
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

  private prepareInvokeLocal(): void {
    const name = typeof this.options.function === 'string' ? this.options.function : undefined;
    const fn = name ? this.resolved.get(name) : undefined;
    if (!fn) return;
    if (!fn.script) {
      throw new ConfigError(
        `functions.${fn.name}.container.script`,
        'needed to invoke locally',
        'point it at the script the image runs',
      );
    }
    const config = this.serverless.service.functions![fn.name]!;
    config.handler = writeInvokeLocalHandler(fn, this.dir, {
      runModule: join(__dirname, 'local', 'run'),
      timeoutSeconds: typeof config.timeout === 'number' ? config.timeout : undefined,
    });
    config.runtime = 'nodejs20.x';
    delete config.image;
  }

  /** After the framework cleaned `.serverless`: stop if an image must be built and Docker is not there; write the contexts. */
  writeBuildContexts(): void {
    const toBuild = [...this.resolved.values()].filter((fn) => !fn.prebuilt);
    if (!toBuild.length) return;
    const docker = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (docker.status !== 0) throw dockerRequired(toBuild.map((fn) => fn.name));
    for (const fn of toBuild) writeBuildContext(fn, join(this.dir, buildContextDir(fn.name)));
  }

  /** After the framework compiled functions and events: buckets, roles, Batch, and the supervisor's variables. */
  compileResources(): void {
    if (!this.resolved.size) return;
    const template = compiledTemplate(this.serverless);
    const imageUris: Record<string, unknown> = {};
    for (const fn of this.resolved.values()) {
      const lambda = template.Resources[resourceIds(fn.name).lambda];
      const code = (lambda?.Properties as { Code?: { ImageUri?: unknown } } | undefined)?.Code;
      if (code?.ImageUri !== undefined) imageUris[fn.name] = code.ImageUri;
    }
    const provider = this.serverless.service.provider;
    const iam = (provider.iam as { role?: { statements?: PolicyStatement[]; managedPolicies?: CfnValue[] } })
      ?.role;
    const legacyStatements = provider.iamRoleStatements as PolicyStatement[] | undefined;
    const vpcFunctions = new Set(
      [...this.resolved.keys()].filter((name) => inVpc(template, resourceIds(name).lambda)),
    );
    const compiled = compileService([...this.resolved.values()], {
      imageUris: imageUris as Record<string, string>,
      managedRoles: this.managedRoles,
      providerStatements: [...(iam?.statements ?? []), ...(legacyStatements ?? [])],
      providerManagedPolicies: [
        ...(iam?.managedPolicies ?? []),
        ...((provider.iamManagedPolicies as CfnValue[]) ?? []),
      ],
      vpcFunctions,
    });
    mergeResources(this.serverless, PLUGIN, compiled.resources);
  }

  private commandFunction(): ResolvedContainerFunction {
    const name = String(this.options.function ?? '');
    const fn = this.resolved.get(name);
    if (!fn) {
      const known = [...this.resolved.keys()];
      throw new ConfigError(
        `functions.${name}`,
        'is not a container function',
        known.length ? `container functions: ${known.join(', ')}` : 'no function has a container',
      );
    }
    return fn;
  }

  private outDir(fn: ResolvedContainerFunction): string {
    return typeof this.options.out === 'string' ? this.options.out : `${fn.name}-output`;
  }

  contextCommand(): void {
    writeContext(this.commandFunction(), String(this.options.out), (line) => this.utils.log.notice(line));
  }

  async runCommand(): Promise<void> {
    const fn = this.commandFunction();
    const file = String(this.options.file);
    const outDir = this.outDir(fn);
    const timeout = this.serverless.service.functions?.[fn.name]?.timeout;
    if (this.options.local) {
      const report = await runLocally(fn, file, outDir, (line) => this.utils.log.verbose(line), {
        ...(typeof timeout === 'number' ? { timeoutSeconds: timeout } : {}),
        verbose: this.options.verbose === true,
      });
      if (report.stdout) this.utils.writeText(report.stdout.trimEnd());
      this.utils.log.success(`${fn.name} ran locally: ${report.files.length} file(s) in ${outDir}`);
      for (const f of report.files) this.utils.writeText(`  ${f}`);
      return;
    }
    const progress = this.utils.progress.create({ message: `Running ${fn.name}`, name: 'container-run' });
    try {
      const wait = Number(this.options.wait ?? (typeof timeout === 'number' ? timeout : 300) + 60);
      const report = await runInCloud(
        commandStorage(await awsClientConfig(this.serverless, this.options)),
        fn,
        file,
        outDir,
        {
          waitSeconds: fn.execution === 'lambda' || this.options.wait ? wait : Math.max(wait, 3600),
          progress: (message) => progress.update(message),
        },
      );
      this.utils.log.success(`${fn.name}: ${report.files.length} file(s) in ${outDir}`);
      for (const f of report.files) this.utils.writeText(`  ${f}`);
    } finally {
      progress.remove();
    }
  }

  async putCommand(): Promise<void> {
    const fn = this.commandFunction();
    const storage = commandStorage(await awsClientConfig(this.serverless, this.options));
    const name = typeof this.options.name === 'string' ? this.options.name : undefined;
    const { bucket, key } = await putFile(storage, fn, String(this.options.file), name);
    this.utils.log.success(`Uploaded s3://${bucket}/${key}`);
  }

  async getCommand(): Promise<void> {
    const fn = this.commandFunction();
    const storage = commandStorage(await awsClientConfig(this.serverless, this.options));
    const outDir = this.outDir(fn);
    const files = await getOutputs(storage, fn, outDir);
    this.utils.log.success(`${files.length} file(s) in ${outDir}`);
    for (const f of files) this.utils.writeText(`  ${f}`);
  }

  async lsCommand(): Promise<void> {
    const fn = this.commandFunction();
    const storage = commandStorage(await awsClientConfig(this.serverless, this.options));
    this.utils.writeText(await listLines(storage, fn));
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
