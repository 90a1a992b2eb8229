// Per-role artifacts: a generated entry joins the user's module and this plugin's runtime handler, bundled with esbuild.
import { join, relative, resolve } from 'node:path';
import { ConfigError } from '@serverless-continuum/core/errors';
import { ROLES, type ModuleRef, type ResolvedJob, type Role } from '../config';
import { artifactPath } from './names';

/** This plugin's runtime handlers, without extension: `.js` in dist, `.ts` when run from sources. */
export const HANDLERS_MODULE = join(__dirname, '..', 'runtime', 'handlers');

const importOf = (ref: ModuleRef, local: string) =>
  `import { ${ref.export} as ${local} } from ${JSON.stringify(ref.file)};`;

/** The generated entry of one role; module paths are JSON-quoted, never spliced raw into code. */
export function roleEntry(job: ResolvedJob, role: Role, handlersModule = HANDLERS_MODULE): string {
  const handlers = JSON.stringify(handlersModule);
  const modules = job.modules;
  if (!modules && role !== 'coordinator') {
    // A streaming job: the handler runs the programs named in its runtime config.
    const factory = role === 'mapper' ? 'createMapperHandler' : 'createReducerHandler';
    return [
      `import { ${factory} } from ${handlers};`,
      `export const handler = ${factory}({ streaming: true });`,
    ].join('\n');
  }
  switch (role) {
    case 'coordinator':
      return [
        `import { createCoordinatorHandler } from ${handlers};`,
        'export const handler = createCoordinatorHandler();',
      ].join('\n');
    case 'mapper':
      return [
        importOf(modules!.map, 'userMap'),
        ...(modules!.combine ? [importOf(modules!.combine, 'userCombine')] : []),
        `import { createMapperHandler } from ${handlers};`,
        `export const handler = createMapperHandler({ map: userMap${modules!.combine ? ', combine: userCombine' : ''} });`,
      ].join('\n');
    case 'reducer':
      return [
        importOf(modules!.reduce, 'userReduce'),
        `import { createReducerHandler } from ${handlers};`,
        'export const handler = createReducerHandler({ reduce: userReduce });',
      ].join('\n');
  }
}

export interface ArtifactPlan {
  role: Role;
  contents: string;
  /** Absolute path of the zip to write. */
  zipFile: string;
}

/** The zips a job's functions deploy from: a streaming job's mapper and reducer are images (see `image.ts`). */
export function artifactPlans(job: ResolvedJob, serviceDir: string): ArtifactPlan[] {
  const roles = job.runtime.streaming ? (['coordinator'] as const) : ROLES;
  return roles.map((role) => ({
    role,
    contents: roleEntry(job, role),
    zipFile: join(serviceDir, artifactPath(job.name, role)),
  }));
}

/** The config keys whose modules each role's entry imports. */
const ROLE_KEYS: Record<Role, Array<'map' | 'combine' | 'reduce'>> = {
  coordinator: [],
  mapper: ['map', 'combine'],
  reducer: ['reduce'],
};

/**
 * esbuild's `No matching export in "<file>" for import "<name>"` for the generated entry of `role`, told as
 * the config key that names the module (`custom.mapreduce.<job>.map`); undefined for any other failure.
 */
export function missingExportError(
  job: ResolvedJob,
  role: Role,
  error: unknown,
  serviceDir: string,
): ConfigError | undefined {
  const messages = (error as { cause?: { errors?: Array<{ text?: string }> } }).cause?.errors ?? [];
  for (const { text } of messages) {
    const match = /^No matching export in "(.+)" for import "(.+)"$/.exec(text ?? '');
    if (!match) continue;
    // esbuild names the file relative to the working folder (the service's, when run by the CLI).
    const file = resolve(match[1]!);
    for (const key of ROLE_KEYS[role]) {
      const ref = job.modules?.[key];
      if (!ref || ref.export !== match[2] || (ref.file !== file && !ref.file.endsWith(match[1]!))) continue;
      return new ConfigError(
        `custom.mapreduce.${job.name}.${key}`,
        `${relative(serviceDir, ref.file)} has no export ${JSON.stringify(ref.export)}`,
        `export a function of that name from it, or name one it exports`,
      );
    }
  }
  return undefined;
}
