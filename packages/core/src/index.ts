// @serverless-continuum/core: what the four plugins share. Subpaths (`/storage`, `/cfn`, ...) load less.
export * from './errors';
export * from './serverless';
export * from './cfn';
export * from './storage';
