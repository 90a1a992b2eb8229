// `sls invoke local -f x --path file`: the service's script on this machine with OSCAR's supervisor variables
// (src/local), its outputs written to a folder with where OSCAR would upload each.
import { join, resolve } from 'node:path';
import { ConfigError } from '@serverless-continuum/core/errors';
import { serviceDir } from '@serverless-continuum/core/serverless';
import { runOscarScriptLocally } from '../local';
import { commandFunction, type CommandContext } from './context';

export async function invokeLocalCommand(ctx: CommandContext): Promise<void> {
  const fn = commandFunction(ctx);
  const path = typeof ctx.options.path === 'string' ? ctx.options.path : undefined;
  if (!path)
    throw new ConfigError('--path', 'required', 'the file to process, as if uploaded to the service');
  const dir = serviceDir(ctx.serverless);
  const outputDir = resolve(
    typeof ctx.options.output === 'string' ? ctx.options.output : join(dir, `${fn.serviceName}-output`),
  );
  const result = await runOscarScriptLocally({
    script: fn.script ?? join(dir, String(fn.config.container?.script ?? '')),
    inputFile: resolve(path),
    // The script sees the service's variables and its secrets' values, as OSCAR passes both.
    environment: { ...fn.environment, ...((fn.config.secrets ?? {}) as Record<string, string>) },
    outputDir,
    service: fn.serviceName,
    inputs: fn.config.input ?? [],
    outputs: fn.config.output ?? [],
    cwd: dir,
    log: (line) => ctx.utils.log.notice(line),
  });
  ctx.utils.writeText(`${fn.serviceName} ran locally: ${result.files.length} file(s) in ${outputDir}`);
  for (const upload of result.uploads) {
    ctx.utils.writeText(`  ${upload.file} -> ${upload.storage} ${upload.bucket}/${upload.key}`);
  }
}
