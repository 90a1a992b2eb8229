// Benchmark runner (a, direct): `runLocal` on a file. Usage: node --import tsx bench/local-run.mts <input> <outputDir> [workers]
import { resolve } from 'node:path';
import { runLocal } from '../plugins/mapreduce/src/local/run';

const [input, outputDir, workers] = process.argv.slice(2);
const file = resolve(import.meta.dirname, 'service/src/wordcount.js');
const result = await runLocal({
  job: {
    name: 'wordcount',
    input: { bucket: 'local', prefix: '' },
    output: { bucket: 'local', prefix: '' },
    temp: { bucket: 'local', prefix: '_temporary/' },
    records: 'lines',
    outputFormat: 'tsv',
    chunkSize: Number(process.env.BENCH_CHUNK ?? 64 * 1024 * 1024),
    reducers: 4,
    concurrency: 100,
    retries: 2,
    reducerMemoryBudget: 256 * 1024 * 1024,
    stragglers: false,
    mapperMemoryMb: 1769,
    reducerMemoryMb: 3008,
  },
  modules: {
    map: { file, export: 'map' },
    reduce: { file, export: 'reduce' },
    combine: { file, export: 'reduce' },
  },
  input: input!,
  outputDir: outputDir!,
  ...(workers ? { workers: Number(workers) } : {}),
});
console.log(
  JSON.stringify({
    runId: result.runId,
    parts: result.parts,
    records: result.report.records,
    times: result.report.times,
  }),
);
