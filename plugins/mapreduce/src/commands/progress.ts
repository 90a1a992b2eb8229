// Progress of a cloud run, read from the job's run table when the caller may read it (splits mapped,
// partitions reduced). Best effort: without access the CLI still follows the run through its output markers.
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { sdkClientSettings, type SdkCredentials } from '@serverless-continuum/core/serverless';
import { DynamoRunStore } from '../runtime/dynamo-run-store';
import type { RunState } from '../runtime/run-store';

export interface RunProgressSource {
  /** The ids of the runs of `key` in the table now (empty when the table is not reachable). */
  runIds(key: string): Promise<string[]>;
  /**
   * The newest run of `key` in the table other than those in `earlier`, or undefined (not started yet, or the
   * table is not reachable).
   */
  find(key: string, earlier?: ReadonlySet<string>): Promise<RunState | undefined>;
  close(): void;
}

/** `MAPREDUCE_DYNAMODB_ENDPOINT` points it at a DynamoDB-compatible server (tests). */
export function runTableProgress(options: {
  table: string;
  job: string;
  region: string;
  credentials?: SdkCredentials;
  onUnavailable?: (error: Error) => void;
}): RunProgressSource {
  const endpoint = process.env.MAPREDUCE_DYNAMODB_ENDPOINT || undefined;
  const client = new DynamoDBClient({
    ...sdkClientSettings(options),
    ...(endpoint ? { endpoint } : {}),
  });
  const store = new DynamoRunStore(client, options.table);
  let available = true;
  /** Runs `read`; on the first error the table counts as unreachable from then on. */
  const attempt = async <T>(read: () => Promise<T>, fallback: T): Promise<T> => {
    if (!available) return fallback;
    try {
      return await read();
    } catch (error) {
      available = false;
      options.onUnavailable?.(error as Error);
      return fallback;
    }
  };
  return {
    runIds: (key) =>
      attempt(async () => (await scanRuns(client, options.table, options.job, key)).map((r) => r.runId), []),
    find: (key, earlier) =>
      attempt(async () => {
        const newest = (await scanRuns(client, options.table, options.job, key))
          .filter((r) => !earlier?.has(r.runId))
          .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))[0];
        return newest ? await store.getRun(newest.runId) : undefined;
      }, undefined),
    close: () => client.destroy(),
  };
}

/** The runs of `key` in the table: the table holds a few runs (items expire), so a filtered scan is cheap. */
async function scanRuns(
  client: DynamoDBClient,
  table: string,
  job: string,
  key: string,
): Promise<Array<{ runId: string; createdAt: string }>> {
  const runs: Array<{ runId: string; createdAt: string }> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'sk = :run AND #job = :job AND contains(#input, :key)',
        ExpressionAttributeNames: { '#job': 'job', '#input': 'input' },
        ExpressionAttributeValues: {
          ':run': { S: 'run' },
          ':job': { S: job },
          ':key': { S: `"key":${JSON.stringify(key)}` },
        },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const runId = item.pk?.S?.replace(/^run#/, '');
      if (runId) runs.push({ runId, createdAt: item.createdAt?.S ?? '' });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return runs;
}

/** One line of progress: the phase and its count. */
export function describeProgress(job: string, run: RunState): string {
  switch (run.phase) {
    case 'map':
      return `${job}: run ${run.runId}: mapped ${run.doneSplits}/${run.splits} splits`;
    case 'reduce':
      return `${job}: run ${run.runId}: reduced ${run.doneParts}/${run.reducers} partitions`;
    case 'finalizing':
      return `${job}: run ${run.runId}: writing the report`;
    default:
      return `${job}: run ${run.runId}: ${run.phase}`;
  }
}
