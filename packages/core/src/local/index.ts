// local: pieces the plugins' local engines share (worker-thread pools, running a user's script in a folder).
export * from './pool';
export * from './script';
export * from './processes';
export * from './outputs';
export * from './workspace';
