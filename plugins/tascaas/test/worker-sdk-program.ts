// A program as a user writes one with the SDK (run by the infrastructure tests): it sums its partition's iterations.
import { partitionFromEnv, runPartition } from '../src/worker';

runPartition(partitionFromEnv(), { initial: 0, step: (sum: number, count: number) => sum + count }).then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
