// Just enough of ELF to carry a dynamically linked program to another root: its machine, its interpreter
// (PT_INTERP, the dynamic loader) and the libraries it needs (DT_NEEDED).
import { closeSync, openSync, readSync } from 'node:fs';
import { ContinuumError } from '../errors';

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ElfBytes = (offset: number, length: number) => Buffer;

/** Reads an ELF file's headers and dynamic section only, never the whole (100 MB) program. */
export function readElfFile(path: string): ElfLinking {
  const fd = openSync(path, 'r');
  try {
    return readElf((offset, length) => {
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, offset);
      return buffer.subarray(0, read);
    }, path);
  } finally {
    closeSync(fd);
  }
}

export interface ElfLinking {
  machine: 'x86_64' | 'arm64' | 'other';
  interpreter?: string;
  needed: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NEEDED = 1;
const DT_STRTAB = 5;

export function readElf(source: Buffer | ElfBytes, name: string): ElfLinking {
  const at: ElfBytes = Buffer.isBuffer(source)
    ? (offset, length) => source.subarray(offset, offset + length)
    : source;
  const bytes = at(0, 64);
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46) {
    throw new ContinuumError('CONTINUUM_IMAGE', `${name} is not an ELF program`);
  }
  if (bytes[4] !== 2 || bytes[5] !== 1) {
    throw new ContinuumError('CONTINUUM_IMAGE', `${name} is not a 64-bit little-endian ELF program`);
  }
  const e = bytes.readUInt16LE(18);
  const machine = e === 62 ? 'x86_64' : e === 183 ? 'arm64' : 'other';
  const phoff = Number(bytes.readBigUInt64LE(32));
  const phentsize = bytes.readUInt16LE(54);
  const phnum = bytes.readUInt16LE(56);
  const table = at(phoff, phnum * phentsize);
  const headers = Array.from({ length: phnum }, (_, i) => {
    const start = i * phentsize;
    return {
      type: table.readUInt32LE(start),
      offset: Number(table.readBigUInt64LE(start + 8)),
      vaddr: Number(table.readBigUInt64LE(start + 16)),
      filesz: Number(table.readBigUInt64LE(start + 32)),
    };
  });
  const interp = headers.find((h) => h.type === PT_INTERP);
  const interpreter = interp
    ? at(interp.offset, interp.filesz).toString('utf8').replace(/\0.*$/s, '')
    : undefined;
  const dynamic = headers.find((h) => h.type === PT_DYNAMIC);
  const needed: string[] = [];
  if (dynamic) {
    const entries: [number, number][] = [];
    const section = at(dynamic.offset, dynamic.filesz);
    for (let entry = 0; entry + 16 <= section.length; entry += 16) {
      const tag = Number(section.readBigInt64LE(entry));
      if (tag === 0) break;
      entries.push([tag, Number(section.readBigUInt64LE(entry + 8))]);
    }
    const strtabAddress = entries.find(([tag]) => tag === DT_STRTAB)?.[1];
    const load = headers.find(
      (h) =>
        h.type === PT_LOAD &&
        strtabAddress !== undefined &&
        strtabAddress >= h.vaddr &&
        strtabAddress < h.vaddr + h.filesz,
    );
    if (strtabAddress !== undefined && load) {
      const strtab = strtabAddress - load.vaddr + load.offset;
      for (const [tag, value] of entries) {
        if (tag !== DT_NEEDED) continue;
        // A library name is short: 256 bytes hold it and its terminating zero.
        const name = at(strtab + value, 256);
        needed.push(name.toString('utf8', 0, Math.max(0, name.indexOf(0))));
      }
    }
  }
  return { machine, ...(interpreter ? { interpreter } : {}), needed };
}
