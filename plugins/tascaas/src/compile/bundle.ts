// The one artifact of the five functions: this plugin's runtime handlers bundled with esbuild (no user code).
import { join } from 'node:path';
import { HANDLERS } from './functions';
import { ARTIFACT_PATH } from './names';

/** This plugin's runtime handlers, without extension: `.js` in dist, `.ts` when run from sources. */
export const HANDLERS_MODULE = join(__dirname, '..', 'runtime', 'handlers');

/** The generated entry: re-exports each function's handler; the module path is JSON-quoted. */
export function runtimeEntry(handlersModule = HANDLERS_MODULE): string {
  const names = [...new Set(Object.values(HANDLERS))].sort();
  return `export { ${names.join(', ')} } from ${JSON.stringify(handlersModule)};`;
}

export interface ArtifactPlan {
  contents: string;
  /** Absolute path of the zip to write. */
  zipFile: string;
}

export function artifactPlan(serviceDir: string): ArtifactPlan {
  return { contents: runtimeEntry(), zipFile: join(serviceDir, ARTIFACT_PATH) };
}
