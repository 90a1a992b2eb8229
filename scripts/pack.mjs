// `npm run pack [-- --out DIR]`: one tarball per plugin (packed/ by default) that installs on its own with
// `npm install <tarball>`, from no registry holding our packages. Core goes inside each plugin tarball as a
// bundled dependency (node_modules/@serverless-continuum/core), so every plugin carries its own copy and the
// same tarball works once published.
//
// Why a staging folder: in the workspace, core is a symlink in the root node_modules, which `npm pack` of a
// plugin does not bundle. And npm installs nothing that a bundled package depends on, so the staged
// package.json declares core's dependencies next to the plugin's own (one range each: a plugin and core that
// ask for different ranges of one package is an error here, not a surprise in a user's node_modules).
//
// Plugins marked `"private": true` are not packed.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CORE_DIR = join(ROOT, 'packages', 'core');
const CORE = '@serverless-continuum/core';

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** dist/ as published: no compiler build info, no test files. */
function copyDist(from, to) {
  if (!existsSync(join(from, 'dist', 'index.js'))) {
    throw new Error(`${from}/dist is missing: run \`npm run build\` first`);
  }
  cpSync(join(from, 'dist'), join(to, 'dist'), {
    recursive: true,
    filter: (path) => !/\.tsbuildinfo$|\.test\.[cm]?[jt]s(\.map)?$|\.test\.d\.[cm]?ts(\.map)?$/.test(path),
  });
  for (const file of ['README.md', 'LICENSE']) {
    if (!existsSync(join(from, file))) throw new Error(`${from}/${file} is missing: every package ships one`);
    cpSync(join(from, file), join(to, file));
  }
}

function publishedManifest(manifest) {
  const { devDependencies: _dev, scripts: _scripts, ...published } = manifest;
  return published;
}

function mergedDependencies(plugin, core) {
  const merged = { ...core.dependencies };
  for (const [name, range] of Object.entries(plugin.dependencies ?? {})) {
    if (merged[name] !== undefined && merged[name] !== range) {
      throw new Error(
        `${plugin.name} asks for ${name}@${range} and ${CORE} for ${name}@${merged[name]}: use one range in both package.json files`,
      );
    }
    merged[name] = range;
  }
  if (merged[CORE] !== core.version) {
    throw new Error(`${plugin.name} must depend on ${CORE} ${core.version} exactly (it bundles that copy)`);
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * The environment of `npm pack` in the staging folder: without what an `npm run` around this script set for
 * the repository (its local prefix, its package's fields), and with no scripts run.
 */
function stagedNpmEnv() {
  const env = { ...process.env, npm_config_ignore_scripts: 'true' };
  for (const name of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|config_local_prefix$)/i.test(name)) delete env[name];
  }
  return env;
}

/** Packs one plugin folder into `outDir`; returns the tarball's path. */
export function packPlugin(pluginDir, outDir) {
  const plugin = readJson(join(pluginDir, 'package.json'));
  const core = readJson(join(CORE_DIR, 'package.json'));
  const stage = mkdtempSync(join(tmpdir(), `continuum-pack-${basename(pluginDir)}-`));
  try {
    copyDist(pluginDir, stage);
    const staged = publishedManifest(plugin);
    staged.dependencies = mergedDependencies(plugin, core);
    staged.bundleDependencies = [CORE];
    writeFileSync(join(stage, 'package.json'), JSON.stringify(staged, null, 2) + '\n');

    const coreStage = join(stage, 'node_modules', ...CORE.split('/'));
    mkdirSync(coreStage, { recursive: true });
    copyDist(CORE_DIR, coreStage);
    writeFileSync(join(coreStage, 'package.json'), JSON.stringify(publishedManifest(core), null, 2) + '\n');

    mkdirSync(outDir, { recursive: true });
    const npm = spawnSync('npm', ['pack', '--json', '--pack-destination', outDir], {
      cwd: stage,
      encoding: 'utf8',
      env: stagedNpmEnv(),
    });
    if (npm.status !== 0) throw new Error(`npm pack of ${plugin.name} failed:\n${npm.stderr}`);
    const [{ filename }] = JSON.parse(npm.stdout);
    return join(outDir, filename);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The plugin folders of the workspace that are meant for users (not `private`). */
export function publicPlugins() {
  return readJson(join(ROOT, 'package.json'))
    .workspaces.filter((folder) => folder.startsWith('plugins/'))
    .map((folder) => join(ROOT, folder))
    .filter((dir) => !readJson(join(dir, 'package.json')).private);
}

if (fileURLToPath(import.meta.url) === resolve(process.argv[1] ?? '')) {
  const at = process.argv.indexOf('--out');
  const outDir = resolve(at > 0 ? process.argv[at + 1] : join(ROOT, 'packed'));
  for (const dir of publicPlugins()) console.log(packPlugin(dir, outDir));
}
