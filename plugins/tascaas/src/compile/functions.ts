// Pure compile step: the service's settings -> the five tascaas functions in the framework's own shape (it
// compiles them, their HTTP API routes, S3 triggers and schedule), and what a block's `worker` function gains.
import { ConfigError } from '@serverless-continuum/core/errors';
import type { ServerlessFunctionConfig } from '@serverless-continuum/core/serverless';
import type { TascaasSettings } from '../config';
import { DEFINITIONS_BYTES, ENVIRONMENT_BYTES, definitionsBytes, environment } from './environment';
import {
  ARTIFACT_PATH,
  MAX_FUNCTION_NAME,
  ROLES,
  functionKey,
  queueLogicalId,
  roleLogicalId,
  type Role,
  type ServiceContext,
} from './names';
import { configTriggers, resultTriggers, triggerGroups, type Trigger } from './triggers';

export interface FunctionsContext extends ServiceContext {
  /** `provider.runtime`, or nodejs20.x. */
  runtime: string;
  /** Keys already under `functions`, to refuse a silent overwrite. */
  existingFunctions: string[];
  /** True when this stack creates the trigger's bucket (then the framework's plain `s3` event is used). */
  createdHere: (trigger: Trigger) => boolean;
}

/** The routes of each function, at the root of the service's HTTP API (`provider.httpApi`, `$default` stage). */
export const ROUTES: Record<Role, string[]> = {
  submit: ['POST /jobs'],
  dispatch: [
    'GET /node/register',
    'GET /node/{id}/update',
    'GET /node/{id}/jobs',
    'GET /node/{id}/disconnect',
    'GET /node/{id}/release',
    'GET /results/upload/{ID}/{worker}',
  ],
  balance: ['GET /lb/{ID}/start', 'GET /lb/{ID}/report', 'GET /lb/{ID}/finish'],
  monitor: [],
  status: ['GET /jobs/{id}'],
};

/** The export of `runtime/handlers.ts` each function runs (the artifact's `index.<export>`). */
export const HANDLERS: Record<Role, string> = {
  submit: 'submit',
  dispatch: 'dispatch',
  balance: 'balance',
  monitor: 'monitor',
  status: 'status',
};

/** API Gateway gives up on an integration after 30 s; the monitor's pass is bounded by its own minute. */
const TIMEOUTS: Record<Role, number> = { submit: 29, dispatch: 29, balance: 29, monitor: 60, status: 29 };

/** The triggers each function takes, when it has any. */
function triggersOf(settings: TascaasSettings, role: Role): Trigger[] {
  if (role === 'submit') return configTriggers(settings.definitions);
  if (role === 'balance') return resultTriggers(settings.definitions);
  return [];
}

/**
 * A role's functions, by key, with their events: the first takes the routes (and the schedule); the S3 triggers
 * are spread over it and, one existing bucket each, further functions `<key>2`, `<key>3`...
 */
function roleFunctions(
  ctx: FunctionsContext,
  settings: TascaasSettings,
  role: Role,
): Array<[string, Array<Record<string, unknown>>]> {
  const routes = ROUTES[role].map((route) => {
    const [method, path] = route.split(' ') as [string, string];
    return { httpApi: { method, path } };
  });
  const schedule = role === 'monitor' ? [{ schedule: 'rate(1 minute)' }] : [];
  const [first = [], ...more] = triggerGroups(triggersOf(settings, role), ctx.createdHere);
  return [
    [functionKey(role), [...routes, ...schedule, ...first]],
    ...more.map((events, i): [string, Array<Record<string, unknown>>] => [
      `${functionKey(role)}${i + 2}`,
      events,
    ]),
  ];
}

export function compileFunctions(
  ctx: FunctionsContext,
  settings: TascaasSettings,
): Record<string, ServerlessFunctionConfig> {
  const bytes = definitionsBytes(settings);
  if (bytes > DEFINITIONS_BYTES) {
    throw new ConfigError(
      'custom.tascaas',
      `its ${settings.definitions.length} blocks take up to ${bytes} bytes of TASCAAS_DEFINITIONS, more than the ${DEFINITIONS_BYTES} left of Lambda's ${ENVIRONMENT_BYTES}-byte environment`,
      'use fewer blocks, or shorter names and prefixes',
    );
  }
  const functions: Record<string, ServerlessFunctionConfig> = {};
  for (const role of ROLES) {
    for (const [key, events] of roleFunctions(ctx, settings, role)) {
      const name = `${ctx.service}-${ctx.stage}-${key}`;
      if (ctx.existingFunctions.includes(key)) {
        throw new ConfigError(
          `functions.${key}`,
          `is reserved for the tascaas ${role} function`,
          'rename the function',
        );
      }
      if (name.length > MAX_FUNCTION_NAME) {
        throw new ConfigError(
          'custom.tascaas',
          `the function name ${name} is longer than Lambda's ${MAX_FUNCTION_NAME} characters`,
          'use a shorter service or stage name',
        );
      }
      functions[key] = {
        name,
        handler: `index.${HANDLERS[role]}`,
        runtime: ctx.runtime,
        memorySize: 512,
        timeout: TIMEOUTS[role],
        role: roleLogicalId(role),
        environment: environment(settings),
        events,
        // The adapter reads payload 2.0 events, whatever `provider.httpApi.payload` says for the user's functions.
        ...(events.some((e) => e.httpApi) ? { httpApi: { payload: '2.0' } } : {}),
        // `individually` makes `sls deploy` look for this artifact instead of a service-wide zip.
        package: { individually: true, artifact: ARTIFACT_PATH },
      };
    }
  }
  return functions;
}

/**
 * What each block's `worker` function gains: the partition queue as its SQS event source (one partition per
 * invocation) and the service's environment (its own variables win on a clash). Its Lambda timeout may not
 * exceed the queue's visibility timeout (a lease: twice the scale time), which SQS event sources require.
 */
export function workerAdditions(
  settings: TascaasSettings,
  functions: Record<string, ServerlessFunctionConfig>,
  providerTimeout: number | undefined,
): void {
  for (const definition of settings.definitions) {
    if (!definition.worker) continue;
    const fn = functions[definition.worker];
    if (!fn) continue;
    const timeout = fn.timeout ?? providerTimeout ?? 6;
    const lease = 2 * settings.scaleTime;
    if (timeout > lease) {
      throw new ConfigError(
        `functions.${definition.worker}.timeout`,
        `${timeout} s is longer than the lease of custom.tascaas.${definition.name} partitions (${lease} s, twice scaleTime)`,
        'SQS requires the queue’s visibility timeout to cover the function’s timeout: raise scaleTime or lower the timeout',
      );
    }
    fn.events = [
      ...(fn.events ?? []),
      { sqs: { arn: { 'Fn::GetAtt': [queueLogicalId(definition.name), 'Arn'] }, batchSize: 1 } },
    ];
    // TASCAAS_WORKER_JOB names the block whose partitions this function runs (lambdaPartitionSource reads it).
    fn.environment = {
      ...environment(settings),
      TASCAAS_WORKER_JOB: definition.name,
      ...(fn.environment ?? {}),
    };
  }
}

/** The deployed names of each role's functions (a role's statements cover the logs of all of them). */
export function functionNamesByRole(
  functions: Record<string, ServerlessFunctionConfig>,
): Record<Role, string[]> {
  const names = Object.fromEntries(ROLES.map((role) => [role, [] as string[]])) as Record<Role, string[]>;
  for (const fn of Object.values(functions)) {
    const role = ROLES.find((r) => fn.role === roleLogicalId(r));
    if (role && fn.name) names[role].push(fn.name);
  }
  return names;
}
