// The Lambda handlers of a mapreduce job: coordinator (S3-triggered), mapper (which also runs the straggler
// watcher) and reducer, one file each. Each reads its job from the environment (see `ENV`), creates its AWS
// clients once per container (`handler-runtime.ts`), and is safe to run twice for one event; how a run fails
// is in `failures.ts` and `failure-records.ts`. The compile step's generated entries import the factories here.
export { createCoordinatorHandler } from './coordinator';
export { createMapperHandler, type MapperHandlerOptions } from './mapper';
export { createReducerHandler, type ReducerHandlerOptions } from './reducer';
export { FETCH_SIZE } from './handler-runtime';
