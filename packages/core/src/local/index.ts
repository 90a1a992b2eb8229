// local: pieces the plugins' local engines share (worker-thread pools, ...).
export * from './pool';
