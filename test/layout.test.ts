// The dependency directions DESIGN.md draws, checked on the sources: plugins -> core only, never one plugin
// into another; inside a plugin, compile/ (pure) never reaches into commands/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './harness/sls';

const PLUGINS = join(REPO_ROOT, 'plugins');
const plugins = readdirSync(PLUGINS);

/** Every `.ts` file under `dir` with the module specifiers it imports or requires. */
function imports(dir: string): Array<{ file: string; specifier: string }> {
  const found: Array<{ file: string; specifier: string }> = [];
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.ts')) continue;
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from\s+|require\(|import\()'([^']+)'/g)) {
      found.push({ file, specifier: match[1]! });
    }
  }
  return found;
}

test('no plugin imports another plugin, by package name or by path', () => {
  const crossings: string[] = [];
  for (const plugin of plugins) {
    const src = join(PLUGINS, plugin, 'src');
    for (const { file, specifier } of imports(src)) {
      const target = specifier.startsWith('.') ? relative(PLUGINS, resolve(dirname(file), specifier)) : '';
      const other = plugins.find(
        (name) =>
          name !== plugin &&
          (specifier.startsWith(`@serverless-continuum/${name}`) || target.startsWith(`${name}/`)),
      );
      if (other) crossings.push(`${relative(REPO_ROOT, file)} imports ${specifier}`);
    }
  }
  assert.deepEqual(crossings, []);
});

test("no compile/ file imports its plugin's commands/", () => {
  const crossings: string[] = [];
  for (const plugin of plugins) {
    const src = join(PLUGINS, plugin, 'src');
    for (const { file, specifier } of imports(join(src, 'compile'))) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), specifier));
      if (target === 'commands' || target.startsWith('commands/')) {
        crossings.push(`${relative(REPO_ROOT, file)} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(crossings, []);
});
