// One typed service that uses the Serverless Continuum plugins; `npm run demo` runs it locally.
import type { AWS } from '@serverless/typescript';
import type { Config as MapreduceConfig } from '@serverless-continuum/mapreduce';
import type { Custom as ContainerLambdaCustom, WithContainer } from '@serverless-continuum/container-lambda';

// SCAR's grayify as a function of this service: an existing image + a shell script on every uploaded picture;
// large pictures go to AWS Batch. The image is prebuilt (digest-pinned) so the service packages without Docker.
const grayify = {
  container: {
    image:
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/grayify@sha256:0000000000000000000000000000000000000000000000000000000000000000',
    script: 'templates/container-lambda/scripts/grayify.sh',
    environment: { QUALITY: '90' },
  },
  memorySize: 2048,
  timeout: 300,
  input: [{ storage: 's3', path: 'continuum-example-images/in', suffix: ['.jpg', '.png'] }],
  output: [{ storage: 's3', path: 'continuum-example-images/out', suffix: ['.png'] }],
  execution: 'lambda-batch',
  batch: { vcpus: 2, memory: 4096, fallback: { inputBytes: 52428800 } },
} satisfies WithContainer<NonNullable<AWS['functions']>[string]>;

const serverlessConfiguration: AWS = {
  service: 'continuum-example',
  frameworkVersion: '>=3',
  configValidationMode: 'error',
  plugins: ['@serverless-continuum/mapreduce', '@serverless-continuum/container-lambda'],
  provider: {
    name: 'aws',
    runtime: 'nodejs20.x',
    region: 'us-east-1',
  },
  functions: {
    grayify,
  },
  custom: {
    // The network of the Batch compute environments (placeholders: use your VPC's).
    containerLambda: {
      batch: { subnets: ['subnet-00000000000000000'], securityGroupIds: ['sg-00000000000000000'] },
    } satisfies ContainerLambdaCustom,
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
