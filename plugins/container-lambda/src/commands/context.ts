// `sls container context -f <fn> --out <dir>`: writes the build context so a CI system can build the image.
import { resolve } from 'node:path';
import type { ResolvedContainerFunction } from '../config';
import { writeBuildContext } from '../build-context';
import { commandFunction, type CommandContext } from './command-context';

export function writeContext(
  fn: ResolvedContainerFunction,
  outDir: string,
  log: (line: string) => void,
): string[] {
  const dir = resolve(outDir);
  const files = writeBuildContext(fn, dir);
  log(`Build context of ${fn.name} written to ${dir}: ${files.join(', ')}`);
  log(
    `Build it with: docker build --platform ${fn.architecture === 'arm64' ? 'linux/arm64' : 'linux/amd64'} -t <ecr repository>:<tag> ${dir}`,
  );
  log(
    `then set functions.${fn.name}.container.image to the pushed image's uri pinned by digest (…@sha256:…).`,
  );
  return files;
}

export function contextCommand(ctx: CommandContext): void {
  writeContext(commandFunction(ctx), String(ctx.options.out), (line) => ctx.utils.log.notice(line));
}
