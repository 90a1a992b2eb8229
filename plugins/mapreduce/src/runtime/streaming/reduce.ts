// The reduce phase of one partition for a streaming job: the existing spill-and-merge gives every key's values in
// key order; they go to the reduce program's stdin as `key<TAB>value` lines, and its stdout is the part.
import { closeSync, openSync, writeSync } from 'node:fs';
import { runReduceTask, type IntermediateSource, type ReduceTaskResult } from '../reduce-task';
import { forEachPair } from './map';
import { StreamingProgram } from './program';
import type { StreamingPrograms } from './programs';

export interface StreamingReduceOptions {
  inputs: IntermediateSource[];
  partition: number;
  programs: StreamingPrograms;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  deadlineAt?: number;
  /** `tsv`: the program's lines as it wrote them; `jsonl`: each line as `[key, value]` (both strings). */
  format: 'tsv' | 'jsonl';
  memoryBudget: number;
  spillDir: string;
  outFile: string;
  prefetch?: number;
}

/** Bytes written to the program's stdin at once. */
const FEED_BYTES = 256 * 1024;

/** Writes the program's output lines to the part file, counting them. */
class PartFile {
  private readonly fd: number;
  lines = 0;
  bytes = 0;

  constructor(
    path: string,
    private readonly format: 'tsv' | 'jsonl',
  ) {
    this.fd = openSync(path, 'w');
  }

  take = (bytes: Buffer, start: number, end: number): void => {
    if (this.format === 'jsonl') {
      const out: string[] = [];
      forEachPair(bytes.toString('utf8', start, end - 1), (key, value) =>
        out.push(`[${JSON.stringify(key)},${JSON.stringify(value)}]\n`),
      );
      this.lines += out.length;
      this.write(Buffer.from(out.join(''), 'utf8'), 0, undefined);
      return;
    }
    for (let nl = bytes.indexOf(10, start); nl >= 0 && nl < end; nl = bytes.indexOf(10, nl + 1)) this.lines++;
    this.write(bytes, start, end);
  };

  private write(bytes: Buffer, start: number, end: number | undefined): void {
    const stop = end ?? bytes.length;
    let off = start;
    while (off < stop) off += writeSync(this.fd, bytes, off, stop - off);
    this.bytes += stop - start;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export async function runStreamingReduceTask(options: StreamingReduceOptions): Promise<ReduceTaskResult> {
  const { programs, partition } = options;
  const part = new PartFile(options.outFile, options.format);
  const program = StreamingProgram.start(
    {
      role: 'reduce',
      argv: programs.reduce,
      cwd: options.cwd,
      ...(options.env ? { env: options.env } : {}),
      maxLineBytes: programs.maxLineBytes,
      ...(options.deadlineAt !== undefined ? { deadlineAt: options.deadlineAt } : {}),
      task: `partition ${partition}`,
    },
    part.take,
  );
  let batch = '';
  try {
    const merged = await runReduceTask({
      inputs: options.inputs,
      consume: (key, values) => {
        for (const value of values) batch += `${key as string}\t${value as string}\n`;
        if (batch.length < FEED_BYTES) return undefined;
        const full = batch;
        batch = '';
        return program.write(full);
      },
      ctx: { runId: '', job: '', partition, combining: false },
      format: options.format,
      memoryBudget: options.memoryBudget,
      spillDir: options.spillDir,
      outFile: options.outFile,
      ...(options.prefetch !== undefined ? { prefetch: options.prefetch } : {}),
    });
    if (batch) await program.write(batch);
    await program.end();
    return { ...merged, keysOut: part.lines, bytesOut: part.bytes };
  } catch (error) {
    program.kill();
    throw error;
  } finally {
    part.close();
  }
}
