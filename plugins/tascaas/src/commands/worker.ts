// `sls tascaas worker --slots N -- <program> [args]`: this machine as an infrastructure of the API; the worker
// runner registers it, pulls partitions for its free slots and runs the program once per partition attempt.
import { ConfigError } from '@serverless-continuum/core/errors';
import { runInfrastructure } from '../worker';
import { integerOption, resolveTarget, type CommandContext } from './context';
import { untilStopped } from './serve';

/**
 * What follows the first `--` of the command line: the framework's option parser stops there and keeps none
 * of it, so the program's own options are never taken for the command's.
 */
export function programOf(argv: readonly string[]): { program: string; args: string[] } | undefined {
  const at = argv.indexOf('--');
  const [program, ...args] = at === -1 ? [] : argv.slice(at + 1);
  return program ? { program, args } : undefined;
}

/**
 * The environment programs inherit: the worker's own, without the secret (a program is authorized by its
 * partition's token alone, and may be code the deployment's owner did not write).
 */
export function programEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && name !== 'TASCAAS_SECRET') inherited[name] = value;
  }
  return inherited;
}

export async function workerCommand(ctx: CommandContext): Promise<void> {
  const command = programOf(ctx.argv ?? process.argv);
  if (!command) {
    throw new ConfigError(
      'worker',
      'no program to run',
      'write it after --: sls tascaas worker --slots 2 -- ./simulate --fast',
    );
  }
  const slots = integerOption(ctx.options, 'slots', 1);
  if (slots === undefined) throw new ConfigError('--slots', 'required');
  const maxSlots = integerOption(ctx.options, 'max-slots', slots) ?? slots;
  const target = await resolveTarget(ctx);
  ctx.utils.log.notice(
    `Infrastructure of ${target.endpoint}: ${slots} slots (at most ${maxSlots}), running ${[command.program, ...command.args].join(' ')}`,
  );
  const abort = new AbortController();
  void untilStopped().then((signal) => {
    ctx.utils.log.notice(`${signal}: disconnecting`);
    abort.abort();
  });
  await runInfrastructure({
    ...target,
    slots,
    maxSlots,
    ...command,
    env: programEnvironment(process.env),
    log: (line) => ctx.utils.log.notice(line),
    signal: abort.signal,
    // The command listens for SIGINT/SIGTERM itself (above) and aborts.
    handleSignals: false,
  });
}
