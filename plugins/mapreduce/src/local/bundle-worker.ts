// Bundles the local worker together with the user's map/reduce/combine modules (TS or JS) into one CommonJS file.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { ContinuumError } from '@serverless-continuum/core/errors';

export interface ModuleRefs {
  map: { file: string; export: string };
  reduce: { file: string; export: string };
  combine?: { file: string; export: string };
}

/** This folder's worker module, without extension: `.js` in dist, `.ts` when run from sources. */
const WORKER_MODULE = join(dirname(__filename), 'worker');

/**
 * The generated entry: imports each user function by name and starts the worker with them. A missing export
 * is reported as `custom.mapreduce.<job>.<role>: <module> has no exported function "<name>"` when `job` is given.
 */
export function workerEntry(modules: ModuleRefs, workerModule = WORKER_MODULE, job?: string): string {
  const lines = [`import { startWorker } from ${JSON.stringify(workerModule)};`];
  const roles = (['map', 'reduce', 'combine'] as const).filter((r) => modules[r]);
  for (const role of roles)
    lines.push(`import * as ${role}Module from ${JSON.stringify(modules[role]!.file)};`);
  lines.push('function pick(mod, name, file, where) {');
  lines.push('  const fn = mod[name] ?? (name === "default" ? mod : undefined);');
  lines.push(
    '  if (typeof fn !== "function") throw new Error(`${where}: ${file} has no exported function ${JSON.stringify(name)}`);',
  );
  lines.push('  return fn;');
  lines.push('}');
  const where = (role: string) => (job ? `custom.mapreduce.${job}.${role}` : role);
  // The module as the user wrote it in their config: relative to the service folder the CLI runs in.
  const shown = (file: string) =>
    isAbsolute(relative(process.cwd(), file)) ? file : relative(process.cwd(), file);
  const args = roles.map(
    (r) =>
      `${r}: pick(${r}Module, ${JSON.stringify(modules[r]!.export)}, ${JSON.stringify(shown(modules[r]!.file))}, ${JSON.stringify(where(r))})`,
  );
  lines.push(`startWorker({ ${args.join(', ')} });`);
  return lines.join('\n');
}

/** A streaming job's worker: no user module, its tasks carry their programs. */
export function streamingWorkerEntry(workerModule = WORKER_MODULE): string {
  return `import { startWorker } from ${JSON.stringify(workerModule)};\nstartWorker();`;
}

/**
 * A streaming job's worker when the plugin runs from its build: the compiled worker module is started as it is,
 * with no bundling (esbuild's start and build are a fixed cost of every local run). From sources, it is bundled.
 */
export function compiledStreamingWorker(outfile: string, workerModule = WORKER_MODULE): string | undefined {
  const compiled = `${workerModule}.js`;
  if (!existsSync(compiled)) return undefined;
  writeFileSync(outfile, `require(${JSON.stringify(compiled)}).startWorker();\n`);
  return outfile;
}

/** Bundles the worker with the job's modules; `undefined` (a streaming job) is the worker alone. */
export async function bundleWorker(
  modules: ModuleRefs | undefined,
  outfile: string,
  job?: string,
): Promise<string> {
  if (!modules) {
    const compiled = compiledStreamingWorker(outfile);
    if (compiled) return compiled;
  }
  // Loaded on demand: a streaming job run from the build never needs it.
  const { build } = require('esbuild') as typeof import('esbuild');
  for (const role of ['map', 'reduce', 'combine'] as const) {
    const ref = modules?.[role];
    if (ref && !existsSync(ref.file)) {
      throw new ContinuumError('CONTINUUM_NOT_FOUND', `the ${role} module ${ref.file} does not exist`);
    }
  }
  try {
    await build({
      stdin: {
        contents: modules ? workerEntry(modules, WORKER_MODULE, job) : streamingWorkerEntry(),
        resolveDir: modules ? dirname(modules.map.file) : dirname(WORKER_MODULE),
        loader: 'js',
      },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
      sourcemap: 'inline',
    });
  } catch (error) {
    throw new ContinuumError(
      'CONTINUUM_BUNDLE',
      `could not bundle the job's modules: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return outfile;
}
