// The AWS part of the facade: the compiled template and SDK config.
export * from './template';
export * from './sdk-config';
