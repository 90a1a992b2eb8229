// One partition of the estimate: samples points in the unit square and counts those inside the quarter circle.
// `sls tascaas worker -- node pi.mjs` runs it once per partition attempt; the worker SDK reports to the
// balancer, obeys the iterations it assigns, checkpoints the counts and uploads them when done.
import { partitionFromEnv, runPartition } from '@serverless-continuum/tascaas/worker';

const partition = partitionFromEnv();

// A generator seeded per job, partition and attempt: no two attempts draw the same points.
let seed = 2166136261;
for (const char of `${partition.jobId}/${partition.index}/${partition.attempt}`) {
  seed = Math.imul(seed ^ char.charCodeAt(0), 16777619) >>> 0;
}
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const run = await runPartition(partition, {
  // A resumed attempt starts from the counts of its last checkpoint.
  initial: { inside: 0, total: 0 },
  step(state, count) {
    let inside = state.inside;
    for (let i = 0; i < count; i++) {
      const x = random();
      const y = random();
      if (x * x + y * y <= 1) inside++;
    }
    return { inside, total: state.total + count };
  },
});
if (!run.yielded) {
  console.log(
    `partition ${partition.index}: ${run.state.total} points, pi ~ ${(4 * run.state.inside) / run.state.total}`,
  );
}
