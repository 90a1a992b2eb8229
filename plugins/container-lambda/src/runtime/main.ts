// The supervisor's entry point: a Lambda custom runtime loop, or one event from CONTINUUM_EVENT (Batch, local).
// First, before any module of the AWS SDK: a HOME for a uid with no passwd entry.
import './home';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isContinuumError } from '@serverless-continuum/core/errors';
import { createAsyncInvoker, createBatchSubmitter, createSecretReader, createStorage } from './aws';
import { ENV } from './contract';
import { hideStartupCredentials } from './credentials';
import { processEvent, type ProcessDeps } from './process';
import { descendantSweep, killRunningScripts, sandboxSweep } from '@serverless-continuum/core/local';
import { RuntimeApiClient, type RuntimeErrorBody } from './runtime-api';
import { hasSecrets, SecretCache, secretsFromEnvironment } from './secrets';
import { baseEnvironment, readSettings, type SupervisorSettings } from './settings';
import { storageChooser } from './stores';

export function errorBody(error: unknown): RuntimeErrorBody {
  if (isContinuumError(error)) return { errorMessage: error.message, errorType: error.code, stackTrace: [] };
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    errorMessage: e.message,
    errorType: e.name || 'Error',
    stackTrace: (e.stack ?? '')
      .split('\n')
      .slice(1)
      .map((line) => line.trim()),
  };
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function commonDeps(settings: SupervisorSettings, env: NodeJS.ProcessEnv): ProcessDeps {
  const tmpRoot = tmpdir();
  const storage = createStorage(settings, env.AWS_REGION);
  const secrets = secretValues(settings, env);
  return {
    // Taken now, before any script runs: what is running at this point is the platform's, never ended.
    sweep: settings.processScope === 'sandbox' ? sandboxSweep() : descendantSweep(),
    settings,
    storage,
    ...(settings.storageAccounts
      ? { storageFor: storageChooser({ fallback: storage, accounts: settings.storageAccounts, secrets }) }
      : {}),
    now: () => Date.now(),
    log,
    tmpRoot,
    cwd: process.cwd(),
    baseEnvironment: baseEnvironment(env, tmpRoot),
    secrets,
  };
}

/** Lambda reads the secrets itself (cached in this container); a Batch job has them in its environment already. */
function secretValues(settings: SupervisorSettings, env: NodeJS.ProcessEnv): ProcessDeps['secrets'] {
  const { secrets, mode } = settings;
  if (!hasSecrets(secrets)) return undefined;
  if (mode !== 'lambda') return async () => secretsFromEnvironment(secrets, env, mode);
  const cache = new SecretCache(secrets, createSecretReader(env.AWS_REGION), () => Date.now(), log);
  return () => cache.environment();
}

async function runLambda(env: NodeJS.ProcessEnv): Promise<number> {
  const address = env.AWS_LAMBDA_RUNTIME_API;
  if (!address) {
    process.stderr.write(
      'AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda (set CONTINUUM_MODE=batch?)\n',
    );
    return 1;
  }
  const client = new RuntimeApiClient(address);
  let settings: SupervisorSettings;
  let deps: ProcessDeps;
  let invoke: ReturnType<typeof createAsyncInvoker> | undefined;
  try {
    hideStartupCredentials();
    settings = readSettings(env);
    deps = commonDeps(settings, env);
    if (settings.execution !== 'lambda') deps.batch = createBatchSubmitter(env.AWS_REGION);
    // Behind an API that passes X-Amz-Invocation-Type on, an asynchronous call is never handed on (and the
    // function's role may not invoke it).
    if (!settings.asyncByGateway) invoke = createAsyncInvoker(env.AWS_REGION);
  } catch (error) {
    await client.initError(errorBody(error));
    return 1;
  }
  for (;;) {
    const invocation = await client.next();
    if (invocation.traceId) process.env._X_AMZN_TRACE_ID = invocation.traceId;
    const target = invocation.invokedFunctionArn ?? env.AWS_LAMBDA_FUNCTION_NAME;
    const invocationDeps: ProcessDeps = { ...deps };
    if (invoke && target) {
      const send = invoke;
      invocationDeps.invokeAsync = (event) => send(target, event);
    }
    const context = { requestId: invocation.requestId, deadlineMs: invocation.deadlineMs };
    let result: unknown;
    try {
      result = await processEvent(invocation.event, context, invocationDeps);
    } catch (error) {
      log(`error: ${errorBody(error).errorMessage}`);
      await client.invocationError(invocation.requestId, errorBody(error));
      continue;
    }
    try {
      await client.respond(invocation.requestId, result);
    } catch (error) {
      // For example, a response over Lambda's 6 MB limit: report it rather than leave the call hanging.
      await client.invocationError(invocation.requestId, errorBody(error)).catch(() => undefined);
    }
  }
}

/** Batch (and local) mode: one event from CONTINUUM_EVENT, the result on stdout, exit code 0 or 1. */
async function runOnce(env: NodeJS.ProcessEnv): Promise<number> {
  try {
    hideStartupCredentials();
    const settings = readSettings(env);
    const raw = env[ENV.event];
    if (!raw) throw new Error(`${ENV.event} is not set: there is no event to process`);
    const event: unknown = JSON.parse(raw);
    const requestId = env[ENV.requestId] || env.AWS_BATCH_JOB_ID || randomUUID();
    const result = await processEvent(event, { requestId }, commonDeps(settings, env));
    log(JSON.stringify(result));
    return 0;
  } catch (error) {
    const body = errorBody(error);
    process.stderr.write(`${body.errorType}: ${body.errorMessage}\n`);
    return 1;
  }
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Told to stop (Batch job timeout, Lambda shutdown): the scripts go too, and nothing more is published.
  process.once('SIGTERM', () => {
    killRunningScripts();
    process.stderr.write('supervisor: SIGTERM received, scripts stopped, nothing more will be published\n');
    process.exit(143);
  });
  const mode = env[ENV.mode] || 'lambda';
  if (mode === 'lambda') return runLambda(env);
  return runOnce(env);
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`supervisor stopped: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
