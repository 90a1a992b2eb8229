// Compile steps of the mapreduce plugin: pure functions from a resolved job to functions, resources and artifacts.
export * from './names';
export * from './functions';
export * from './resources';
export * from './iam';
export * from './trigger';
export * from './bundle';
export * from './info';
