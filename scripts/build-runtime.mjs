// After `tsc -b`: each plugin may ship a `scripts/build-runtime.mjs` that bundles its runtime (supervisor, handlers).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

for (const plugin of ['container-lambda', 'mapreduce', 'tascaas', 'oscar-target']) {
  const script = join('plugins', plugin, 'scripts', 'build-runtime.mjs');
  if (!existsSync(script)) continue;
  const result = spawnSync(process.execPath, [resolve(script)], {
    stdio: 'inherit',
    cwd: join('plugins', plugin),
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
