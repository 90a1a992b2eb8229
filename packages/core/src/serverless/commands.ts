// Commands that load their module only when the user runs them: a command's SDK clients and helpers would
// otherwise be loaded (and slow the start) on every `sls` call, whatever the command.
import { subcommandLines, type CommandDefinition } from './command-help';
import type { HookFn } from './hooks';
import type { PluginUtils } from './utils';

/**
 * Hooks for lifecycle events whose work sits in a module loaded on first use. Each loader is called only
 * when its event runs, and returns the command's function; the command then gets `context()` (built then
 * too, so it sees the resolved config). The loader's `require` stays in the plugin, beside its modules:
 * `'mapreduce:run:run': () => (require('./commands/run') as typeof import('./commands/run')).runCommand`.
 */
export function lazyCommandHooks<C>(
  context: () => C,
  loaders: Record<string, () => (context: C) => unknown>,
): Record<string, HookFn> {
  return Object.fromEntries(Object.entries(loaders).map(([event, load]) => [event, () => load()(context())]));
}

/** The `<name>:help` hook of a parent command with `lifecycleEvents: ['help']`: a bare `sls <name>` lists its subcommands. */
export function commandHelpHook(
  name: string,
  command: CommandDefinition,
  utils: Pick<PluginUtils, 'writeText'>,
): Record<string, HookFn> {
  return { [`${name}:help`]: () => utils.writeText(subcommandLines(name, command)) };
}
