export * from './types';
export * from './naming';
export * from './iam';
export * from './resources';
export * from './logs';
export * from './tags';
