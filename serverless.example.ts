// One typed service that uses the Serverless Continuum plugins; `npm run demo` runs it locally.
import type { AWS } from '@serverless/typescript';
import type { Config as MapreduceConfig } from '@serverless-continuum/mapreduce';

const serverlessConfiguration: AWS = {
  service: 'continuum-example',
  frameworkVersion: '>=3',
  configValidationMode: 'error',
  plugins: [
    // PLUGINS (each plugin's issue adds its line here)
    '@serverless-continuum/mapreduce',
  ],
  provider: {
    name: 'aws',
    runtime: 'nodejs20.x',
    region: 'us-east-1',
  },
  functions: {
    // FUNCTIONS
  },
  custom: {
    // CUSTOM
    // An upload under corpus/ starts a word count; results land under results/wordcount/<run id>/.
    mapreduce: {
      wordcount: {
        input: 'continuum-example-data/corpus/',
        output: 'continuum-example-data/results/wordcount/',
        map: 'examples/wordcount.map',
        reduce: 'examples/wordcount.reduce',
        combine: 'examples/wordcount.reduce',
        chunkSize: '64MB',
        reducers: 4,
        mapper: { memorySize: 1769, timeout: 300 },
        reducer: { memorySize: 3008, timeout: 900 },
      },
    } satisfies MapreduceConfig,
  },
};

module.exports = serverlessConfiguration;
