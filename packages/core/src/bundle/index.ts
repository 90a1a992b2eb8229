// Bundling of runtime handlers (and the user's modules they import) into one CommonJS file for Node 20,
// and into a deterministic Lambda zip: the same sources always give the same bytes, so deploys are stable.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { BuildOptions, Message } from 'esbuild';
import { ContinuumError } from '../errors';

export interface BundleOptions {
  /** The file to start from. Either this or `contents`. */
  entry?: string;
  /** Source text to start from (TypeScript or JavaScript), e.g. a generated handler that imports the user's code. */
  contents?: string;
  /** Where imports in `contents` are resolved from; defaults to the current directory. */
  resolveDir?: string;
  /** The bundle to write. */
  outfile: string;
  /** Packages left out of the bundle, e.g. `['@aws-sdk/*']` (Node's built-ins always are). */
  external?: string[];
  minify?: boolean;
  /** Compile-time constants, e.g. `{ 'process.env.MODE': '"lambda"' }`. */
  define?: Record<string, string>;
}

export type BundleZipOptions = Omit<BundleOptions, 'outfile'> & {
  /** The zip to write. */
  zipFile: string;
  /** The bundle's file name inside the zip; the Lambda handler is then `index.<export>`. */
  handlerFile?: string;
  /** Also write the bundle here (handy for inspecting it). */
  outfile?: string;
};

/** Every entry gets this modification time: DOS time has no zone, so it reads the same everywhere. */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);

function describeSource(options: Omit<BundleOptions, 'outfile'>): string {
  if (options.entry) return options.entry;
  return `generated source (resolved from ${resolve(options.resolveDir ?? process.cwd())})`;
}

function formatMessage(message: Message): string {
  const where = message.location
    ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: `
    : '';
  const source = message.location?.lineText ? `\n      ${message.location.lineText.trim()}` : '';
  return `  ${where}${message.text}${source}`;
}

async function build(options: Omit<BundleOptions, 'outfile'>, outfile: string | undefined): Promise<Buffer> {
  const hasEntry = Boolean(options.entry);
  const hasContents = options.contents !== undefined;
  if (hasEntry === hasContents) {
    throw new ContinuumError('CONTINUUM_BUNDLE', 'bundle needs exactly one of `entry` and `contents`');
  }
  // Loaded on demand: esbuild starts a helper process, which only packaging needs.
  const esbuild = require('esbuild') as typeof import('esbuild');
  const config: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: false,
    legalComments: 'none',
    minify: options.minify ?? false,
    external: options.external ?? [],
    define: options.define ?? {},
    logLevel: 'silent',
    write: false,
    ...(outfile ? { outfile } : {}),
  };
  if (options.entry) {
    config.entryPoints = [options.entry];
  } else {
    config.stdin = {
      contents: options.contents ?? '',
      resolveDir: resolve(options.resolveDir ?? process.cwd()),
      sourcefile: 'continuum-entry.ts',
      loader: 'ts',
    };
  }
  let result;
  try {
    result = await esbuild.build(config);
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    const detail = messages?.length
      ? messages.map(formatMessage).join('\n')
      : `  ${(error as Error).message}`;
    throw new ContinuumError('CONTINUUM_BUNDLE', `could not bundle ${describeSource(options)}:\n${detail}`, {
      cause: error,
    });
  }
  const output = result.outputFiles?.find((file) => !file.path.endsWith('.map'));
  if (!output)
    throw new ContinuumError('CONTINUUM_BUNDLE', `esbuild produced no output for ${describeSource(options)}`);
  return Buffer.from(output.contents);
}

/** Writes `data` to `path` through a temporary file and a rename: `path` is never seen half-written. */
async function writeAtomically(path: string, write: (temp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.continuum-tmp-${randomBytes(8).toString('hex')}`);
  try {
    await write(temp);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Bundles `entry` (or `contents`) into one CommonJS file for Node 20 at `outfile`. */
export async function bundle(options: BundleOptions): Promise<void> {
  const outfile = resolve(options.outfile);
  const code = await build(options, outfile);
  await writeAtomically(outfile, (temp) => writeFile(temp, code));
}

/** Builds the zip bytes for `files` (name -> content) with fixed timestamps and modes, in name order. */
export async function deterministicZip(files: Record<string, Buffer | string>): Promise<Buffer> {
  const { ZipFile } = require('yazl') as typeof import('yazl');
  const zip = new ZipFile();
  for (const name of Object.keys(files).sort()) {
    const content = files[name] as Buffer | string;
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), name, {
      mtime: ZIP_MTIME,
      mode: 0o100644,
      compress: true,
      forceDosTimestamp: true,
    });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Bundles like `bundle`, then writes a deterministic Lambda zip holding the bundle as `handlerFile`. */
export async function bundleZip(options: BundleZipOptions): Promise<void> {
  const outfile = options.outfile ? resolve(options.outfile) : undefined;
  const code = await build(options, outfile);
  if (outfile) await writeAtomically(outfile, (temp) => writeFile(temp, code));
  const zip = await deterministicZip({ [options.handlerFile ?? 'index.js']: code });
  await writeAtomically(resolve(options.zipFile), (temp) => writeFile(temp, zip));
}
