// A pushed image run the way Lambda runs it, with no Docker engine: pulled back with skopeo, unpacked with umoci,
// its entrypoint started in its own mount and PID namespaces on a read-only root, a fresh /tmp, a non-root uid.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { skopeoCreds } from './base-images';
import type { TestRegistry } from './registry';

const run = promisify(execFile);

/** The uid Lambda runs an image as (it has no passwd entry in the image). */
export const LAMBDA_UID = '993';
// The image's own PATH reaches the shell that sets the container up: name the host's tools by their paths.
const CHROOT =
  ['/usr/sbin/chroot', '/usr/bin/chroot', '/sbin/chroot'].find((path) => existsSync(path)) ?? 'chroot';

/** The container's mount namespace (read-only root, its own /tmp) and the switch to LAMBDA_UID need root. */
export const canRunContainers = process.getuid?.() === 0;

export interface UnpackedImage {
  root: string;
  /** The entrypoint and command, as the runtime spec umoci wrote gives them. */
  args: string[];
  /** `NAME=value` lines of the image config. */
  env: string[];
}

/** Pulls `reference` back from the registry with skopeo and unpacks it with umoci under `work/<name>-*`. */
export async function pullImage(
  registry: TestRegistry,
  reference: string,
  work: string,
  name: string,
): Promise<UnpackedImage> {
  const layout = join(work, `${name}-layout`);
  const bundle = join(work, `${name}-bundle`);
  await run('skopeo', [
    'copy',
    '--quiet',
    '--src-cert-dir',
    registry.certDir,
    '--src-creds',
    skopeoCreds(),
    `docker://${reference}`,
    `oci:${layout}:image`,
  ]);
  await run('umoci', ['unpack', '--image', `${layout}:image`, bundle]);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
    process: { args: string[]; env: string[] };
  };
  return { root: join(bundle, 'rootfs'), args: config.process.args, env: config.process.env };
}

/** What the registry holds for `reference`, as skopeo reads it: the manifest, or the image config. */
export async function inspectImage<T>(
  registry: TestRegistry,
  reference: string,
  what: 'manifest' | 'config',
): Promise<T> {
  const { stdout } = await run('skopeo', [
    'inspect',
    what === 'manifest' ? '--raw' : '--config',
    '--cert-dir',
    registry.certDir,
    '--creds',
    skopeoCreds(),
    `docker://${reference}`,
  ]);
  return JSON.parse(stdout) as T;
}

export interface RunningContainer {
  /** stdout and stderr so far. */
  output(): string;
  /** `outcome`, or a failure with the output when the entrypoint exits before it settles. */
  answer<T>(outcome: Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Runs the entrypoint as Lambda would: its own mount and PID namespaces, the root read-only, a fresh /tmp,
 * uid LAMBDA_UID; the network is this machine's, so loopback services (Runtime API, s3rver) answer.
 */
export function startAsLambda(image: UnpackedImage, variables: Record<string, string>): RunningContainer {
  const root = image.root;
  for (const dir of ['tmp', 'proc', 'dev']) mkdirSync(join(root, dir), { recursive: true });
  const setup = [
    `mount --bind "${root}" "${root}"`,
    `mount -o remount,bind,ro "${root}"`,
    `mount -t tmpfs -o mode=1777 tmpfs "${root}/tmp"`,
    `mount -t proc proc "${root}/proc"`,
    `mount --rbind /dev "${root}/dev"`,
    `exec ${CHROOT} --userspec=${LAMBDA_UID}:${LAMBDA_UID} "${root}" "$@"`,
  ].join(' && ');
  const child = spawn(
    'unshare',
    ['--mount', '--pid', '--fork', '--kill-child', 'sh', '-c', setup, 'lambda', ...image.args],
    {
      env: {
        ...Object.fromEntries(
          image.env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
        ),
        ...variables,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: chroot --userspec changes the uid, which clears unshare's parent-death signal,
      // so the runtime is stopped by killing the group, never left polling for the next test's event.
      detached: true,
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    output: () => output,
    answer: <T>(outcome: Promise<T>): Promise<T> =>
      Promise.race([
        outcome,
        exited.then((code): never => {
          throw new Error(`the entrypoint exited (${code}) without answering:\n${output}`);
        }),
      ]),
    stop: async () => {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      await exited;
    },
  };
}
