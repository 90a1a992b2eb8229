// At package time: the build context of each image the framework must build, once a Docker engine is known
// to answer (the framework's own build and ECR push need it, and its error would not say what to do).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ContinuumError } from '@serverless-continuum/core/errors';
import type { ResolvedContainerFunction } from '../config';
import { buildContextDir } from '../compile/names';
import { writeBuildContext } from './index';

function dockerRequired(functions: string[]): ContinuumError {
  const first = functions[0]!;
  return new ContinuumError(
    'CONTINUUM_DOCKER_REQUIRED',
    [
      `Docker is needed to build the image of ${functions.map((n) => `function "${n}"`).join(', ')}, and no Docker engine answers here (docker info failed).`,
      'Two ways out:',
      `  1. build elsewhere: sls container context -f ${first} --out <dir> writes the build context; build and push it in CI,`,
      `     then set functions.${first}.container.image (or custom.containerLambda.images.${first}) to the pushed ECR uri pinned by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest>;`,
      '  2. start Docker (with AWS credentials for the ECR push) and run this command again.',
    ].join('\n'),
  );
}

/** Stops if an image must be built and Docker is not there; writes the contexts under the service folder. */
export function writeBuildContexts(functions: ResolvedContainerFunction[], serviceDir: string): void {
  const toBuild = functions.filter((fn) => !fn.prebuilt);
  if (!toBuild.length) return;
  const docker = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (docker.status !== 0) throw dockerRequired(toBuild.map((fn) => fn.name));
  for (const fn of toBuild) writeBuildContext(fn, join(serviceDir, buildContextDir(fn.name)));
}
