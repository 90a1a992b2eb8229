// How the supervisor words a failed run: the script's exit or signal with its stderr tail, the deadline, and
// any error made to start with the object it concerns (`s3://bucket/key: ...`).
import { ContinuumError } from '@serverless-continuum/core/errors';
import type { ScriptResult } from '@serverless-continuum/core/local';

export function describeFailure(script: ScriptResult): string {
  const how = script.signal ? `was killed by ${script.signal}` : `failed with exit code ${script.exitCode}`;
  return script.stderrTail
    ? `the script ${how}; stderr (last lines):\n${script.stderrTail}`
    : `the script ${how}`;
}

export function assertScriptSucceeded(script: ScriptResult, subject: string): void {
  if (script.exitCode === 0) return;
  throw new ContinuumError('CONTINUUM_SCRIPT_FAILED', `${subject}: ${describeFailure(script)}`);
}

export function deadlineError(subject: string): ContinuumError {
  return new ContinuumError(
    'CONTINUUM_DEADLINE',
    `${subject}: the script did not finish before the deadline and was stopped; nothing was published`,
  );
}

export function asContinuumError(error: unknown, subject: string): ContinuumError {
  if (error instanceof ContinuumError) {
    return error.message.startsWith(subject)
      ? error
      : new ContinuumError(error.code, `${subject}: ${error.message}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ContinuumError('CONTINUUM_RUN_FAILED', `${subject}: ${message}`, { cause: error });
}
