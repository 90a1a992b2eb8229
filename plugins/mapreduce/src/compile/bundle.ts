// Per-role artifacts: a generated entry joins the user's module and this plugin's runtime handler, bundled with esbuild.
import { join } from 'node:path';
import { ROLES, type ModuleRef, type ResolvedJob, type Role } from '../config';
import { artifactPath } from './names';

/** This plugin's runtime handlers, without extension: `.js` in dist, `.ts` when run from sources. */
export const HANDLERS_MODULE = join(__dirname, '..', 'runtime', 'handlers');

const importOf = (ref: ModuleRef, local: string) =>
  `import { ${ref.export} as ${local} } from ${JSON.stringify(ref.file)};`;

/** The generated entry of one role; module paths are JSON-quoted, never spliced raw into code. */
export function roleEntry(job: ResolvedJob, role: Role, handlersModule = HANDLERS_MODULE): string {
  const handlers = JSON.stringify(handlersModule);
  switch (role) {
    case 'coordinator':
      return [
        `import { createCoordinatorHandler } from ${handlers};`,
        'export const handler = createCoordinatorHandler();',
      ].join('\n');
    case 'mapper':
      return [
        importOf(job.modules.map, 'userMap'),
        ...(job.modules.combine ? [importOf(job.modules.combine, 'userCombine')] : []),
        `import { createMapperHandler } from ${handlers};`,
        `export const handler = createMapperHandler({ map: userMap${job.modules.combine ? ', combine: userCombine' : ''} });`,
      ].join('\n');
    case 'reducer':
      return [
        importOf(job.modules.reduce, 'userReduce'),
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

export function artifactPlans(job: ResolvedJob, serviceDir: string): ArtifactPlan[] {
  return ROLES.map((role) => ({
    role,
    contents: roleEntry(job, role),
    zipFile: join(serviceDir, artifactPath(job.name, role)),
  }));
}
