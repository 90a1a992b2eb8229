// Compile steps of the tascaas plugin: pure functions from the resolved settings to functions, resources and the artifact.
export * from './names';
export * from './environment';
export * from './triggers';
export * from './functions';
export * from './iam';
export * from './resources';
export * from './bundle';
export * from './info';
