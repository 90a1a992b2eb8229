// The partition source of a Lambda worker fed by its block's queue: the service itself, in process, built once
// per container from the environment the plugin gives the function. AWS's clients load only when it is used.
import type { QueueRecord } from '../service/channel';
import type { PartitionClaim, PartitionSource } from './middleware';

/** For `tascaasWorker({ source: lambdaPartitionSource() })` in the function named by a block's `worker`. */
export function lambdaPartitionSource(env: NodeJS.ProcessEnv = process.env): PartitionSource<QueueRecord> {
  let source: Promise<{ claim(record: QueueRecord): Promise<PartitionClaim | undefined> }> | undefined;
  return {
    async claim(record) {
      source ??= (async () => {
        const job = env.TASCAAS_WORKER_JOB;
        if (!job)
          throw new Error('TASCAAS_WORKER_JOB is not set: is this function a custom.tascaas block`s worker?');
        const { servicesFromEnvironment } = require('../service/aws') as typeof import('../service/aws');
        const { inProcessSource } = require('../service/channel') as typeof import('../service/channel');
        return inProcessSource(await servicesFromEnvironment(env), job, 'lambda');
      })();
      return (await source).claim(record);
    },
  };
}
