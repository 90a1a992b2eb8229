// The bench's program: a partition of fixed work done at BENCH_SPEED iterations per second (a throttled
// Monte Carlo stand-in), through the worker SDK: reports, obeys Assigned, uploads, finishes.
import { partitionFromEnv, runPartition } from '../../plugins/tascaas/dist/worker/index.js';

const speed = Number(process.env.BENCH_SPEED);
const partition = partitionFromEnv();
await runPartition(partition, {
  initial: { done: 0 },
  batch: Math.max(1, Math.round(speed / 20)),
  async step(state, count) {
    await new Promise((resolve) => setTimeout(resolve, (count / speed) * 1000));
    return { done: state.done + count };
  },
});
