// Errors with stable codes, so users (and tests) can tell failures apart without parsing messages.

export type ErrorCode =
  | 'CONTINUUM_INVALID_CONFIG'
  | 'CONTINUUM_UNSAFE_KEY'
  /** A file the script left in its output folder that may not be published (a hard link, for one). */
  | 'CONTINUUM_UNSAFE_OUTPUT'
  | 'CONTINUUM_STORAGE'
  | 'CONTINUUM_NOT_FOUND'
  /** A read pinned to an ETag (`ifMatch`) found the object changed. */
  | 'CONTINUUM_PRECONDITION_FAILED'
  | 'CONTINUUM_DOCKER_REQUIRED'
  | 'CONTINUUM_SCRIPT_FAILED'
  | 'CONTINUUM_DEADLINE'
  | 'CONTINUUM_RUN_FAILED'
  | 'CONTINUUM_BUNDLE'
  | 'CONTINUUM_OSCAR_HTTP'
  /** An HTTP call of core's client failed: a refused status, a timeout, the network or TLS. */
  | 'CONTINUUM_HTTP'
  /** A queue call failed, or was refused before anything was sent (a body SQS cannot carry, a bound). */
  | 'CONTINUUM_QUEUE'
  /** A receipt no longer holds its message (its visibility timeout ran out, or it was deleted): stop working on it. */
  | 'CONTINUUM_MESSAGE_LOST'
  /** A state-store write was refused before anything was written (a value DynamoDB cannot store). */
  | 'CONTINUUM_STATE'
  /** An AWS API call from a command (not a deployment) failed for a reason the command does not handle. */
  | 'CONTINUUM_AWS'
  /** A secret (`container.secrets`) could not be read at run time. */
  | 'CONTINUUM_SECRET'
  /** An image could not be assembled, pulled or pushed (a registry's refusal, a limit, a missing platform). */
  | 'CONTINUUM_IMAGE'
  | 'CONTINUUM_UNSUPPORTED';

export class ContinuumError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContinuumError';
    this.code = code;
  }
}

/** An error as JSON (a failure report's `error`, a worker thread's answer): what survives `JSON.stringify`. */
export interface ErrorJson {
  message: string;
  name?: string;
  stack?: string;
}

/** The JSON shape of anything thrown; a thrown non-Error becomes its string as the message. */
export function errorJson(error: unknown): ErrorJson {
  const e = error instanceof Error ? error : new Error(String(error));
  return { message: e.message, name: e.name, ...(e.stack ? { stack: e.stack } : {}) };
}

/** A configuration error; `path` is the dotted config path, e.g. `functions.thumb.container.image`. */
export class ConfigError extends ContinuumError {
  readonly path: string;

  constructor(path: string, problem: string, hint?: string) {
    super('CONTINUUM_INVALID_CONFIG', `${path}: ${problem}${hint ? ` (${hint})` : ''}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

export function isContinuumError(error: unknown): error is ContinuumError {
  if (error instanceof ContinuumError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('CONTINUUM_');
}
