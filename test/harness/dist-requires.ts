// What a package's built files load at run time, read the way Node would: esbuild parses every `.js` file
// under a folder and lists the modules it cannot follow (everything not relative), so a `require("x")` inside a
// string or a comment of a bundle is not counted, and a lazy `require` inside a function is.
import { builtinModules, createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export interface PackageManifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bundleDependencies?: string[];
}

/**
 * Every module specifier (`@aws-sdk/client-s3`, `node:fs`, `@scope/pkg/sub`) the `.js` files under `dir` load,
 * each with the files (relative to `dir`) that load it.
 */
export async function requiredModules(dir: string): Promise<Map<string, string[]>> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.js'),
  );
  const result = await build({
    absWorkingDir: resolve(dir),
    entryPoints: files,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    packages: 'external',
    logLevel: 'silent',
    outdir: '.requires-never-written',
  });
  const byModule = new Map<string, string[]>();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (!imported.external) continue;
      byModule.set(imported.path, [...(byModule.get(imported.path) ?? []), file]);
    }
  }
  return byModule;
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const BUILTINS = new Set(builtinModules);

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]!);
}

/**
 * The modules `dir` loads that `manifest` does not declare: not a Node builtin, not one of its
 * `dependencies` or `peerDependencies`, not the package itself. Each with the files that load it.
 */
export async function undeclaredModules(dir: string, manifest: PackageManifest): Promise<string[]> {
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const missing: string[] = [];
  for (const [specifier, files] of await requiredModules(dir)) {
    if (isBuiltin(specifier) || declared.has(packageOf(specifier))) continue;
    missing.push(`${specifier} (required by ${files.sort().join(', ')})`);
  }
  return missing.sort();
}

/**
 * The modules `dir` loads that Node cannot resolve from the file that loads them, as installed (pass the real
 * path of an installed package: a pnpm layout resolves from where the files really are).
 */
export async function unresolvedModules(dir: string): Promise<string[]> {
  const unresolved: string[] = [];
  for (const [specifier, files] of await requiredModules(dir)) {
    if (isBuiltin(specifier)) continue;
    for (const file of files) {
      try {
        createRequire(resolve(dir, file)).resolve(specifier);
      } catch {
        unresolved.push(`${specifier} from ${file}`);
      }
    }
  }
  return unresolved.sort();
}

/** The packages the declaration files (`.d.ts`) under `dir` name: what a user's compiler loads of `dir`'s types. */
export function typeModules(dir: string): Set<string> {
  const names = new Set<string>();
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.d.ts'),
  );
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const match of text.matchAll(/(?:from\s+|import\()["']([^"'.][^"']*)["']/g)) {
      if (!isBuiltin(match[1]!)) names.add(packageOf(match[1]!));
    }
  }
  return names;
}

/**
 * The `dependencies` of `manifest` that nothing under `dir` loads at run time (`.js`) nor names in its types
 * (`.d.ts`): an install would fetch them for nothing.
 */
export async function unusedDependencies(dir: string, manifest: PackageManifest): Promise<string[]> {
  const used = typeModules(dir);
  for (const specifier of (await requiredModules(dir)).keys()) used.add(packageOf(specifier));
  return Object.keys(manifest.dependencies ?? {})
    .filter((name) => !used.has(name))
    .sort();
}
