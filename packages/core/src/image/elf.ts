// Just enough of ELF to carry a dynamically linked program to another root: its machine, its interpreter
// (PT_INTERP, the dynamic loader) and the libraries it needs (DT_NEEDED).
import { ContinuumError } from '../errors';

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

export function readElf(bytes: Buffer, name: string): ElfLinking {
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
  const headers = Array.from({ length: phnum }, (_, i) => {
    const at = phoff + i * phentsize;
    return {
      type: bytes.readUInt32LE(at),
      offset: Number(bytes.readBigUInt64LE(at + 8)),
      vaddr: Number(bytes.readBigUInt64LE(at + 16)),
      filesz: Number(bytes.readBigUInt64LE(at + 32)),
    };
  });
  const interp = headers.find((h) => h.type === PT_INTERP);
  const interpreter = interp
    ? bytes.toString('utf8', interp.offset, interp.offset + interp.filesz).replace(/\0.*$/s, '')
    : undefined;
  const dynamic = headers.find((h) => h.type === PT_DYNAMIC);
  const needed: string[] = [];
  if (dynamic) {
    const entries: [number, number][] = [];
    for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.filesz; at += 16) {
      const tag = Number(bytes.readBigInt64LE(at));
      if (tag === 0) break;
      entries.push([tag, Number(bytes.readBigUInt64LE(at + 8))]);
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
        const end = bytes.indexOf(0, strtab + value);
        needed.push(bytes.toString('utf8', strtab + value, end));
      }
    }
  }
  return { machine, ...(interpreter ? { interpreter } : {}), needed };
}
