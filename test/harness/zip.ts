// Reads a zip through its central directory, as Lambda's unzip would: enough to inspect artifacts in tests.
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
  dosTime: number;
  dosDate: number;
  /** Unix permission bits from the external attributes. */
  mode: number;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`not a valid zip: ${what}`);
}

export function readZip(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  check(eocd >= 0, 'no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    check(zip.readUInt32LE(at) === 0x02014b50, 'bad central directory header');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    check(zip.readUInt32LE(local) === 0x04034b50, 'bad local file header');
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    entries.push({
      name,
      data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw),
      dosTime: zip.readUInt16LE(at + 12),
      dosDate: zip.readUInt16LE(at + 14),
      mode: zip.readUInt32LE(at + 38) >>> 16,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** One file's contents, or undefined when the zip has no such entry. */
export function readZipEntry(zip: Buffer, name: string): Buffer | undefined {
  return readZip(zip).find((entry) => entry.name === name)?.data;
}
