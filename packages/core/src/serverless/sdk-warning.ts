// The AWS SDK v3 warns through `process.emitWarning` that its releases will need a newer Node.js: seven
// lines, from each copy of @aws-sdk/core a run loads (the framework's and each plugin's). A run says it
// once, in one line.

/** One flag per process: every copy of core (one per installed plugin) shares it. */
const STATE = Symbol.for('serverless-continuum.sdk-node-warning');

interface WarningState {
  said: boolean;
  warn: (message: string) => void;
}

type GlobalWithState = typeof globalThis & { [STATE]?: WarningState };

/** `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\n... will require node >=22. You are running node v20.1.0. ...` */
export function nodeSupportWarningLine(message: string): string | undefined {
  if (!/^NodeVersionSupportWarning\b/.test(message) && !message.includes('AWS SDK for JavaScript (v3)')) {
    return undefined;
  }
  const flat = message.replace(/\s+/g, ' ');
  const required = /require node >=\s*(\d+)/i.exec(flat)?.[1];
  const running = /running node (v?[\d.]+\d)/i.exec(flat)?.[1];
  const when = /published after (.+?) will require/i.exec(flat)?.[1];
  const link = /(https:\/\/\S+)/.exec(flat)?.[1];
  if (!required || !running) return flat.split('. ')[0];
  return (
    `AWS SDK for JavaScript v3 releases${when ? ` after ${when}` : ''} need Node.js >= ${required}; ` +
    `this is Node.js ${running}${link ? ` (${link})` : ''}`
  );
}

/**
 * Replaces the SDK's Node.js version warning by one line given to `warn`, at most once per process; every
 * other warning passes through unchanged. The first caller's `warn` is the one used.
 */
export function sayNodeSupportWarningOnce(warn: (message: string) => void): void {
  const global = globalThis as GlobalWithState;
  if (global[STATE]) return;
  const state: WarningState = { said: false, warn };
  global[STATE] = state;
  const original = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning?.message;
    const line = typeof text === 'string' ? nodeSupportWarningLine(text) : undefined;
    if (line === undefined) return original(warning, ...rest);
    if (state.said) return;
    state.said = true;
    state.warn(line);
  }) as typeof process.emitWarning;
}
