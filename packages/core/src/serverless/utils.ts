// The framework's v3 constructor utils (log, progress, writeText), with stand-ins when none are given.
import type { Logger, PluginUtilsInput, Progress, ProgressFactory } from './types';
import { sayNodeSupportWarningOnce } from './sdk-warning';

export interface PluginUtils {
  log: Logger;
  progress: ProgressFactory;
  writeText(text: string | string[]): void;
}

function consoleLogger(): Logger {
  const write = (message?: string) => process.stderr.write(`${message ?? ''}\n`);
  return Object.assign(write, {
    error: write,
    warning: write,
    notice: write,
    info: write,
    success: write,
    debug: () => undefined,
    verbose: () => undefined,
  });
}

/** The v3 constructor utils, or console-backed stand-ins when a framework (or a test) passes none. */
export function pluginUtils(input?: PluginUtilsInput): PluginUtils {
  const fallback = consoleLogger();
  const given = input?.log;
  const log: Logger = given
    ? Object.assign((message?: string) => given(message), {
        error: given.error?.bind(given) ?? fallback.error,
        warning: given.warning?.bind(given) ?? fallback.warning,
        notice: given.notice?.bind(given) ?? fallback.notice,
        info: given.info?.bind(given) ?? fallback.info,
        success: given.success?.bind(given) ?? fallback.success,
        debug: given.debug?.bind(given) ?? fallback.debug,
        verbose: given.verbose?.bind(given) ?? fallback.verbose,
      })
    : fallback;
  const silentProgress: Progress = { update: () => undefined, remove: () => undefined };
  const progress: ProgressFactory = input?.progress ?? {
    create: ({ message }) => {
      log.info(message);
      return { update: (m: string) => log.info(m), remove: silentProgress.remove };
    },
  };
  const writeText =
    input?.writeText ?? ((text: string | string[]) => process.stdout.write(`${[text].flat().join('\n')}\n`));
  // Every plugin builds its utils here first: the one place that quiets the SDK's seven-line warning.
  sayNodeSupportWarningOnce((message) => log.warning(message));
  return { log, progress, writeText };
}
