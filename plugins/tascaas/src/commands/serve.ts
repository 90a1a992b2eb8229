// `sls tascaas serve --local`: the tascaas API on this machine (the local server keeps queues, table and objects
// in a folder), until SIGINT or SIGTERM. Prints the URL on a line of its own, and a generated secret.
import { resolve } from 'node:path';
import { ConfigError } from '@serverless-continuum/core/errors';
import { startLocalServer } from '../local/server';
import { DEFAULT_LOCAL_PORT, integerOption, stringOption, type CommandContext } from './context';

/** Resolves at the first SIGINT or SIGTERM (the handlers are removed then). */
export function untilStopped(): Promise<string> {
  return new Promise((done) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function serveCommand(ctx: CommandContext): Promise<void> {
  if (ctx.options.local !== true) {
    throw new ConfigError(
      '--local',
      'required',
      'on AWS the deployed HTTP API serves: `sls deploy`, then `sls info` shows it',
    );
  }
  const secret = stringOption(ctx.options, 'secret');
  const server = await startLocalServer({
    definitions: ctx.settings.definitions,
    scaleTime: ctx.settings.scaleTime,
    port: integerOption(ctx.options, 'port', 0) ?? DEFAULT_LOCAL_PORT,
    ...(secret !== undefined ? { secret } : {}),
    dataDir: resolve(ctx.serviceDir, stringOption(ctx.options, 'data') ?? '.tascaas'),
    log: (line) => ctx.utils.log.notice(line),
  });
  ctx.utils.writeText(server.url);
  if (secret === undefined) ctx.utils.writeText(`secret: ${server.secret}`);
  const signal = await untilStopped();
  ctx.utils.log.notice(`${signal}: stopping`);
  await server.close();
}
