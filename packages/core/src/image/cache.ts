// The blob cache: content-addressed files under `<cacheDir>/blobs/sha256/<hex>`, written whole or not at all,
// so a build that stops half-way never leaves a blob whose bytes do not match its name.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ContinuumError } from '../errors';

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function checkDigest(digest: string, what: string): string {
  if (!DIGEST.test(digest))
    throw new ContinuumError('CONTINUUM_IMAGE', `${what}: "${digest}" is not a sha256 digest`);
  return digest;
}

export class BlobCache {
  constructor(readonly dir: string) {}

  path(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', checkDigest(digest, 'blob').slice('sha256:'.length));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  read(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  /** Stores `bytes` under their digest (checked against `expected` when given) and returns the digest. */
  write(bytes: Uint8Array, expected?: string): string {
    const digest = sha256(bytes);
    if (expected && expected !== digest) {
      throw new ContinuumError('CONTINUUM_IMAGE', `a blob announced as ${expected} has the digest ${digest}`);
    }
    const path = this.path(digest);
    if (existsSync(path)) return digest;
    this.writeFile(path, bytes);
    return digest;
  }

  /** A small JSON record beside the blobs (what a layer's inputs built), never a credential. */
  readRecord<T>(kind: string, key: string): T | undefined {
    const path = join(this.dir, kind, `${key}.json`);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  writeRecord(kind: string, key: string, value: unknown): void {
    this.writeFile(join(this.dir, kind, `${key}.json`), JSON.stringify(value));
  }

  /** Where a temporary download goes before it is checked and renamed to its digest. */
  partialPath(name: string): string {
    const path = join(this.dir, 'partial', `${name}.${process.pid}.${Date.now()}`);
    mkdirSync(dirname(path), { recursive: true });
    return path;
  }

  /** Moves a checked download into place. */
  adopt(partial: string, digest: string): void {
    const path = this.path(digest);
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) rmSync(partial, { force: true });
    else renameSync(partial, path);
  }

  private writeFile(path: string, bytes: Uint8Array | string): void {
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.partial-${process.pid}`;
    writeFileSync(partial, bytes);
    renameSync(partial, path);
  }
}
