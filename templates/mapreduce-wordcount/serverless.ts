// A MapReduce word count without servers: upload a text under texts/ and the counts appear under results/.
// Typed: `custom.mapreduce` is checked against the plugin's `Config` (serverless@3 type-checks this file
// through ts-node on every command; osls loads it without a check, and `npm run typecheck` checks it too).
import type { AWS } from '@serverless/typescript';
import type { Config as MapreduceConfig } from '@serverless-continuum/mapreduce';

const config: AWS = {
  service: 'mapreduce-wordcount',
  frameworkVersion: '>=3',
  configValidationMode: 'error',
  provider: {
    name: 'aws',
    runtime: 'nodejs20.x',
    region: 'us-east-1',
  },
  plugins: ['@serverless-continuum/mapreduce'],
  custom: {
    mapreduce: {
      wordcount: {
        // bucket/prefix: an upload here starts a run. Use a bucket you own (it must already exist).
        input: 'change-me-corpus-bucket/texts/',
        // Results: <output>/<run id>/part-00000 ... and _SUCCESS.json (written last).
        output: 'change-me-corpus-bucket/results/wordcount/',
        map: 'src/wordcount.map',
        reduce: 'src/wordcount.reduce',
        combine: 'src/wordcount.reduce',
        chunkSize: '64MB',
        reducers: 4,
        mapper: { memorySize: 1769, timeout: 300 },
        reducer: { memorySize: 3008, timeout: 900 },
      },
    } satisfies MapreduceConfig,
  },
};

// `export =`, not `export default`: serverless@3 reads the module's value itself, and a default export
// reaches it as `{ default: ... }` ("provider.name" property is missing).
export = config;
