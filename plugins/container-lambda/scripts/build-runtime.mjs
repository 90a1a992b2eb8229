// Bundles the supervisor (dist/runtime/main.js, after tsc) and everything it needs, AWS SDK included, into one file,
// dist/runtime/supervisor.js, that runs with a plain `node` binary and no node_modules next to it.
import { build } from 'esbuild';
import { existsSync, statSync } from 'node:fs';

const entry = 'dist/runtime/main.js';
const outfile = 'dist/runtime/supervisor.js';
if (!existsSync(entry)) {
  console.error(`build-runtime: ${entry} is missing; run tsc first`);
  process.exit(1);
}
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
console.log(`build-runtime: ${outfile} (${Math.round(statSync(outfile).size / 1024)} KB)`);
