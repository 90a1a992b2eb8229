// Hooks as the user meets them: a coded error ends as the framework's own error, with its code, no stack.
import { isContinuumError } from '../errors';
import type { ServerlessLike } from './types';

export type HookFn = () => unknown;

/**
 * Turns our coded errors into the framework's own error class, so it prints them without a stack trace.
 * Neither framework prints an error's code, so the code ends the message: `<message> [CONTINUUM_...]`.
 */
export function toFrameworkError(serverless: ServerlessLike, error: unknown): Error {
  if (isContinuumError(error)) {
    const message = error.message.endsWith(`[${error.code}]`)
      ? error.message
      : `${error.message} [${error.code}]`;
    return new serverless.classes.Error(message, error.code);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Wraps every hook so a ContinuumError reaches the user as a clean framework error with its code. */
export function wrapHooks(serverless: ServerlessLike, hooks: Record<string, HookFn>): Record<string, HookFn> {
  return Object.fromEntries(
    Object.entries(hooks).map(([name, fn]) => [
      name,
      async () => {
        try {
          return await fn();
        } catch (error) {
          throw toFrameworkError(serverless, error);
        }
      },
    ]),
  );
}
