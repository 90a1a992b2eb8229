// Reproducible tar archives (ustar, PAX for long names) and a small reader: image layers must give the same
// bytes for the same files, so every entry has mtime 0, owner root and a fixed mode, in sorted order.

export interface TarEntry {
  /** Relative path inside the archive, no leading slash (`opt/continuum/node`). */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  bytes?: Uint8Array;
  /** For a symlink: where it points. */
  target?: string;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, typeflag: string, mode: number, linkname = ''): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(0, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(typeflag, 156, 'ascii');
  block.write(linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'ascii');
  block.write('root', 265, 'ascii');
  block.write('root', 297, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'ascii');
  return block;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest ? BLOCK - rest : 0);
}

function paxRecord(key: string, value: string): string {
  // A record's length counts its own digits: grow until it is stable.
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/** The archive of `entries` exactly as given (callers sort them); the two zero blocks that end a tar included. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
    const linkname = entry.target ?? '';
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(linkname) > 100) {
      let pax = paxRecord('path', name);
      if (linkname) pax += paxRecord('linkpath', linkname);
      const paxBytes = Buffer.from(pax);
      parts.push(header('PaxHeader', paxBytes.length, 'x', 0o644), paxBytes, padding(paxBytes.length));
    }
    const shortName = name.slice(0, 100);
    if (entry.type === 'file') {
      const bytes = entry.bytes ?? new Uint8Array();
      parts.push(header(shortName, bytes.length, '0', entry.mode), Buffer.from(bytes), padding(bytes.length));
    } else if (entry.type === 'directory') {
      parts.push(header(shortName, 0, '5', entry.mode));
    } else {
      parts.push(header(shortName, 0, '2', entry.mode, linkname.slice(0, 100)));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** An entry as a layer holds it: a hard link names another path of the same archive. */
export interface LayerTarEntry {
  path: string;
  type: TarEntry['type'] | 'hardlink';
  mode: number;
  /** A view into the archive, not a copy. */
  bytes?: Buffer;
  target?: string;
}

/** The entries of a (decompressed) tar in order, PAX paths honoured, bodies as views; devices and fifos skipped. */
export function* tarEntries(archive: Uint8Array): Generator<LayerTarEntry> {
  const data = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  let offset = 0;
  let paxPath: string | undefined;
  let paxLink: string | undefined;
  while (offset + BLOCK <= data.length) {
    const block = data.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) =>
      block.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const typeflag = field(156, 1) || '0';
    const prefix = block.toString('ascii', 257, 262) === 'ustar' ? field(345, 155) : '';
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const body = data.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x') {
      for (const line of body.toString('utf8').split('\n')) {
        const match = /^\d+ (\w+)=(.*)$/s.exec(line);
        if (match?.[1] === 'path') paxPath = match[2];
        if (match?.[1] === 'linkpath') paxLink = match[2];
      }
      continue;
    }
    if (typeflag === 'g') continue;
    const mode = parseInt(field(100, 8).trim() || '0', 8);
    const path = name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    const target = paxLink ?? field(157, 100);
    paxPath = undefined;
    paxLink = undefined;
    if (typeflag === '0' || typeflag === '7') yield { path, type: 'file', mode, bytes: body };
    else if (typeflag === '5') yield { path, type: 'directory', mode };
    else if (typeflag === '2') yield { path, type: 'symlink', mode, target };
    else if (typeflag === '1') yield { path, type: 'hardlink', mode, target: target.replace(/^\.?\/+/, '') };
  }
}

/** Reads a (decompressed) tar: regular files, directories and symlinks, PAX paths honoured; others skipped. */
export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  for (const entry of tarEntries(archive)) {
    if (entry.type === 'hardlink') continue;
    entries.push(
      entry.bytes
        ? { ...entry, type: entry.type, bytes: Buffer.from(entry.bytes) }
        : { ...entry, type: entry.type },
    );
  }
  return entries;
}
