export * from './types';
export * from './facade';
export * from './custom-blocks';
export * from './package-summary';
export * from './command-help';
export * from './sdk-warning';
