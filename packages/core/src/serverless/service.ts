// What the framework tells about the service being deployed, and what a plugin adds to its summary.
import type { ServerlessLike } from './types';

/** The folder of the service being deployed (v3 calls it `serviceDir`, older code `servicePath`). */
export function serviceDir(serverless: ServerlessLike): string {
  return (
    serverless.serviceDir ?? serverless.config.serviceDir ?? serverless.config.servicePath ?? process.cwd()
  );
}

/** Adds a section to what `sls info` and `sls deploy` print (both frameworks); nothing when it has no lines. */
export function addInfoSection(serverless: ServerlessLike, name: string, lines: string[]): void {
  if (lines.length) serverless.addServiceOutputSection?.(name, lines);
}
