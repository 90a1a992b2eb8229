// One typed service that uses the Serverless Continuum plugins; `npm run demo` runs it locally.
import type { AWS } from '@serverless/typescript';

const serverlessConfiguration: AWS = {
  service: 'continuum-example',
  frameworkVersion: '>=3',
  configValidationMode: 'error',
  plugins: [
    // PLUGINS (each plugin's issue adds its line here)
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
  },
};

module.exports = serverlessConfiguration;
