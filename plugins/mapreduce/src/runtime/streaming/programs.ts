// A streaming job's programs as the runtime receives them (in the job's runtime config), and the one rule that
// turns a configured command into argv: words split at whitespace, never interpreted by a shell.

export interface StreamingPrograms {
  /** argv of the map program, run in the service folder (locally) or the job files' folder (in the image). */
  map: string[];
  reduce: string[];
  /** Never implied: as for JavaScript jobs, only a combine program the user names runs on map output. */
  combine?: string[];
  /** The longest line a program may write, in bytes. */
  maxLineBytes: number;
  /** Seconds a local map/reduce task's programs may run (the role's `timeout`); in Lambda, the invocation's deadline. */
  mapperTimeout: number;
  reducerTimeout: number;
}

/** Default `streaming.maxLineLength`: Hadoop has none, but one runaway line must not take the task's memory. */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * `python3 jobs/mapper.py --top 10` -> `['python3', 'jobs/mapper.py', '--top', '10']`; an array is argv as it is.
 * No quoting, no globbing, no variables: an argument holding a space is written in the array form. Returns the
 * problem as a string when the command is unusable, for the caller to report at its config path.
 */
export function commandArgv(command: string | readonly string[]): string[] | string {
  const argv = typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : [...command];
  if (!argv.length || !argv[0]) return 'must name a program to run';
  if (argv.some((a) => a.includes('\0'))) return 'may not contain NUL characters';
  if (typeof command === 'string' && /["'`$|;&<>*?\\]/.test(command)) {
    return `is argv, not a shell command: ${JSON.stringify(command)} would need a shell to mean what it seems to (write the arguments as a list, or put the pipeline in a script)`;
  }
  return argv;
}
