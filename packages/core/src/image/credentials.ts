// Who we are to a registry: ECR's token through the AWS SDK, otherwise the Docker credentials file
// (`DOCKER_CONFIG` or `~/.docker/config.json`: `credHelpers`, `credsStore`, `auths`), otherwise anonymous.
// Every secret found is handed to `onSecret` so the caller can keep it out of every message it prints.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ContinuumError } from '../errors';
import { ecrClient } from './ecr';
import { ecrRegistry } from './reference';

export type RegistryCredentials =
  | { username: string; password: string }
  /** An OAuth2 refresh token (`identitytoken`) exchanged at the token server. */
  | { identityToken: string };

export interface CredentialOptions {
  /** The folder of `config.json`; `DOCKER_CONFIG`, then `~/.docker`, when omitted. */
  dockerConfig?: string;
  /** ECR's endpoint (for tests at the wire); AWS's own when omitted. */
  ecrEndpoint?: string;
  /** AWS credentials for ECR (the framework's, with its profile); the SDK's default chain when omitted. */
  awsCredentials?: unknown;
  onSecret?: (secret: string) => void;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

function dockerConfigFile(options: CredentialOptions): DockerConfigFile {
  const dir = options.dockerConfig ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DockerConfigFile;
  } catch (error) {
    throw new ContinuumError('CONTINUUM_IMAGE', `${path} is not valid JSON`, { cause: error });
  }
}

/** The keys a registry may be filed under in `auths` (Docker Hub keeps its old v1 URL). */
function authKeys(registry: string): string[] {
  if (registry === 'docker.io' || registry === 'registry-1.docker.io' || registry === 'index.docker.io') {
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  }
  return [
    registry,
    `https://${registry}`,
    `http://${registry}`,
    `https://${registry}/v1/`,
    `https://${registry}/v2/`,
  ];
}

function fromHelper(helper: string, registry: string): RegistryCredentials | undefined {
  const program = `docker-credential-${helper}`;
  const server = authKeys(registry)[0]!;
  const run = spawnSync(program, ['get'], { input: server, encoding: 'utf8', timeout: 30_000 });
  if (run.error) {
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `the Docker credential helper ${program} could not run (${run.error.message})`,
    );
  }
  if (run.status !== 0) {
    // Helpers answer "credentials not found" with a non-zero exit: anonymous, as Docker treats it.
    if (/not found/i.test(run.stdout + run.stderr)) return undefined;
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `the Docker credential helper ${program} failed for ${registry} (exit ${run.status})`,
    );
  }
  const answer = JSON.parse(run.stdout) as { Username?: string; Secret?: string };
  if (!answer.Secret) return undefined;
  if (answer.Username === '<token>') return { identityToken: answer.Secret };
  return { username: answer.Username ?? '', password: answer.Secret };
}

function fromAuths(config: DockerConfigFile, registry: string): RegistryCredentials | undefined {
  for (const key of authKeys(registry)) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.identitytoken) return { identityToken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0)
        throw new ContinuumError(
          'CONTINUUM_IMAGE',
          `the Docker credentials file's auths["${key}"].auth is not base64 of user:password`,
        );
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return undefined;
}

async function fromEcr(
  registry: string,
  region: string,
  options: CredentialOptions,
): Promise<RegistryCredentials> {
  const { GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  const client = await ecrClient(region, options);
  try {
    const answer = await client.send(new GetAuthorizationTokenCommand({}));
    const token = answer.authorizationData?.[0]?.authorizationToken;
    if (!token)
      throw new ContinuumError('CONTINUUM_IMAGE', `ECR gave no authorization token for ${registry}`);
    options.onSecret?.(token);
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  } catch (error) {
    if (error instanceof ContinuumError) throw error;
    const name = (error as { name?: string }).name ?? 'Error';
    throw new ContinuumError(
      'CONTINUUM_IMAGE',
      `ECR GetAuthorizationToken for ${registry} failed: ${name}: ${(error as Error).message}`,
    );
  } finally {
    client.destroy();
  }
}

/** The credentials for `registry`, or undefined for anonymous access. */
export async function registryCredentials(
  registry: string,
  options: CredentialOptions = {},
): Promise<RegistryCredentials | undefined> {
  const ecr = ecrRegistry(registry);
  const config = ecr ? {} : dockerConfigFile(options);
  const helper = config.credHelpers?.[registry];
  let found: RegistryCredentials | undefined;
  // ECR's tokens last 12 hours and come from the caller's AWS identity: always asked for, never stored.
  if (ecr) found = await fromEcr(registry, ecr.region, options);
  else if (helper) found = fromHelper(helper, registry);
  else
    found =
      fromAuths(config, registry) ??
      (config.credsStore ? fromHelper(config.credsStore, registry) : undefined);
  if (found) {
    if ('password' in found) {
      options.onSecret?.(found.password);
      options.onSecret?.(Buffer.from(`${found.username}:${found.password}`).toString('base64'));
    } else options.onSecret?.(found.identityToken);
  }
  return found;
}
