// The typed facade over the framework plugin API (serverless@3 and osls 4 alike): a provider-neutral part
// (utils, hooks, schema, lazy commands, provider registration, what plugins print) and an AWS part.
export * from './types';
export * from './utils';
export * from './hooks';
export * from './schema';
export * from './service';
export * from './commands';
export * from './provider';
export * from './format';
export * from './custom-blocks';
export * from './package-summary';
export * from './command-help';
export * from './sdk-warning';
export * from './aws';
