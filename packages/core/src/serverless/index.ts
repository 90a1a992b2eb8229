export * from './types';
export * from './facade';
