// `npm run resources`: packages `serverless.example.ts` with the real framework (offline, no credentials) and
// prints the resources it would deploy, grouped by the plugin that emitted them.
//
//   npm run resources                              # osls
//   npm run resources -- --framework serverless    # serverless@3
//   npm run resources -- --json                    # the rows as JSON, for scripts
//   npm run resources -- --save-template t.json    # also write the packaged template (tests validate it)
//   KEEP_FIXTURES=1 npm run resources              # keep the packaged folder under .tmp/ to look at
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN_METADATA_KEY = 'serverless-continuum:plugin';
const CLI = {
  osls: join(root, 'node_modules', 'osls', 'bin', 'serverless.js'),
  serverless: join(root, 'node_modules', 'serverless', 'bin', 'serverless.js'),
};

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'osls' },
    config: { type: 'string', default: 'serverless.example.ts' },
    json: { type: 'boolean', default: false },
    'save-template': { type: 'string' },
  },
});

function fail(message) {
  console.error(message);
  process.exit(1);
}

const cli = CLI[values.framework];
if (!cli) fail(`--framework must be one of ${Object.keys(CLI).join(', ')}, got ${values.framework}`);
if (!existsSync(cli)) fail(`${values.framework} is not installed: run \`npm ci\` first`);
const example = join(root, values.config);
if (!existsSync(example)) fail(`${values.config} not found at the repository root`);
if (!existsSync(join(root, 'packages', 'core', 'dist', 'index.js'))) {
  fail('The packages are not built yet: run `npm run build` (npm ci runs it for you) and try again.');
}

// A private service folder under .tmp/ (inside the repo, so Node finds the workspace packages): the example as
// serverless.<ext>, and links to the repo's top-level entries so the example's relative paths (handlers, user
// modules, FDL files) resolve as they do at the root. Packaging writes only into this folder.
const SKIP = new Set(['.git', '.tmp', 'node_modules', '.serverless', '.esbuild']);
const dir = join(root, '.tmp', `resources-${randomBytes(4).toString('hex')}`);
mkdirSync(dir, { recursive: true });
const serviceFile = `serverless${extname(example)}`;
copyFileSync(example, join(dir, serviceFile));
for (const entry of readdirSync(root)) {
  if (!SKIP.has(entry) && !/^serverless\.(ts|yml|yaml|js|json|cjs|mjs)$/.test(entry)) {
    symlinkSync(join(root, entry), join(dir, entry));
  }
}

let template;
let service = values.config;
try {
  const run = spawnSync(process.execPath, [cli, 'package', '--config', serviceFile], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 180_000,
    env: {
      ...process.env,
      // Packaging needs no account: dummy credentials keep a real identity out of it.
      AWS_ACCESS_KEY_ID: 'AKIARESOURCESDUMMY',
      AWS_SECRET_ACCESS_KEY: 'resources-dummy-secret',
      AWS_PROFILE: '',
      AWS_SESSION_TOKEN: '',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      CI: '1',
    },
  });
  if (run.status === 0) {
    template = JSON.parse(
      readFileSync(join(dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
    );
    const state = JSON.parse(readFileSync(join(dir, '.serverless', 'serverless-state.json'), 'utf8'));
    service = `${state.service?.service ?? values.config} (stage ${state.service?.provider?.stage ?? 'dev'})`;
  } else {
    process.stderr.write(run.stdout ?? '');
    process.stderr.write(run.stderr ?? '');
    console.error(
      `${values.framework} package of ${values.config} failed (exit ${run.status ?? run.signal})`,
    );
  }
} finally {
  // rmSync removes the links themselves, never what they point at.
  if (process.env.KEEP_FIXTURES !== '1') rmSync(dir, { recursive: true, force: true });
  else console.error(`kept ${dir}`);
}
if (!template) process.exit(1);
if (values['save-template']) writeFileSync(values['save-template'], JSON.stringify(template, null, 2));

const rows = Object.entries(template.Resources ?? {}).map(([id, resource]) => ({
  plugin: resource.Metadata?.[PLUGIN_METADATA_KEY] ?? 'framework',
  logicalId: id,
  type: resource.Type,
}));
// Plugins first (alphabetically), the framework's own resources last; template order inside a group.
const rank = (plugin) => (plugin === 'framework' ? 1 : 0);
rows.sort(
  (a, b) => rank(a.plugin) - rank(b.plugin) || (a.plugin < b.plugin ? -1 : a.plugin > b.plugin ? 1 : 0),
);

if (values.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const headers = { plugin: 'plugin', logicalId: 'logical id', type: 'type' };
  const columns = Object.keys(headers);
  const width = Object.fromEntries(
    columns.map((c) => [c, Math.max(headers[c].length, ...rows.map((r) => String(r[c]).length))]),
  );
  const line = (cells) => `| ${columns.map((c) => String(cells[c]).padEnd(width[c])).join(' | ')} |`;
  const output = [line(headers), `|${columns.map((c) => '-'.repeat(width[c] + 2)).join('|')}|`];
  let previous;
  for (const row of rows) {
    // The plugin name is written once per group, so the groups stand out.
    output.push(line({ ...row, plugin: row.plugin === previous ? '' : row.plugin }));
    previous = row.plugin;
  }
  const plugins = new Set(rows.map((r) => r.plugin));
  console.log(
    `Resources that \`sls deploy\` would create for ${service}, from an offline ${values.framework} package:\n`,
  );
  console.log(output.join('\n'));
  console.log(`\n${rows.length} resources from ${plugins.size} source${plugins.size === 1 ? '' : 's'}`);
}
