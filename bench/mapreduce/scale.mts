// `npm run bench`, mapreduce scale part (`BENCH_ONLY=scale` runs it alone): one run of 1,000 and one of 10,000
// splits at the wire (real handlers, s3rver and dynalite behind counting proxies, Lambda answered in-process),
// printing per-split requests by service and operation, DynamoDB units, the busiest partition key's write units
// per split, the busiest item's writes, the estimate beside the counts, and wall time per 1,000 splits as a
// ratio between the two sizes (absolute times on a shared 2-vCPU host say little). BENCH_SCALE_SPLITS sets the
// larger size.
import { countedBesideEstimate, perSplit, runAtScale } from '../../test/harness/mapreduce-scale';

const sizes = [1_000, Number(process.env.BENCH_SCALE_SPLITS ?? 10_000)];
const perThousand: number[] = [];
let ok = true;

for (const splits of sizes) {
  const run = await runAtScale({ splits, reducers: 2, concurrency: 100, duplicateEvent: true });
  try {
    const counted = perSplit(run, splits);
    const msPer1000 = (run.wallMs / splits) * 1000;
    perThousand.push(msPer1000);
    console.log(`\nmapreduce at ${splits.toLocaleString('en')} splits (2 reducers, concurrency 100)`);
    console.log(
      `  wall ${(run.wallMs / 1000).toFixed(1)} s, ${(msPer1000 / 1000).toFixed(2)} s per 1,000 splits;` +
        ` layout ${JSON.stringify(counted.layout)}`,
    );
    console.log('  requests per split:');
    for (const [what, n] of Object.entries(counted.requests)) console.log(`    ${what}: ${n.toFixed(3)}`);
    console.log(
      `  DynamoDB units per split: ${counted.dynamoUnits.write.toFixed(3)} write, ${counted.dynamoUnits.read.toFixed(3)} read`,
    );
    console.log(
      `  busiest partition key: ${counted.busiestPartition.writeUnitsPerSplit.toFixed(3)} write units per split (${counted.busiestPartition.key})`,
    );
    console.log(`  busiest item: ${counted.busiestItem.writes} writes (${counted.busiestItem.key})`);
    if (!run.report || run.failed || run.temporary.length) {
      ok = false;
      console.log(
        `  RUN DID NOT SUCCEED CLEANLY: report ${Boolean(run.report)}, failed ${run.failed}, left ${run.temporary.length}`,
      );
    } else {
      console.log('  estimate beside the counts:');
      for (const [what, { counted: c, estimated: e }] of Object.entries(countedBesideEstimate(run))) {
        const off = c ? ((e - c) / c) * 100 : 0;
        console.log(`    ${what}: counted ${c}, estimated ${e} (${off >= 0 ? '+' : ''}${off.toFixed(1)}%)`);
      }
    }
  } finally {
    await run.close();
  }
}
console.log(
  `\nwall time per 1,000 splits, ${sizes[1]!.toLocaleString('en')} vs 1,000 splits: ${(perThousand[1]! / perThousand[0]!).toFixed(2)}x (1.00x: linear)`,
);
if (!ok) process.exitCode = 1;
