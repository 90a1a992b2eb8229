// The AWS part of the facade: the compiled template, SDK config, and the provider's IAM settings.
export * from './template';
export * from './sdk-config';
export * from './iam';
export * from './buckets';
export * from './ecr';
export * from './stack';
export * from './account';
