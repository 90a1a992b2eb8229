// Progress of a cloud run, read from the job's run table when the caller may read it (splits mapped,
// partitions reduced). Best effort: without access the CLI still follows the run through its output markers.
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  awsClientConfig,
  sdkClientSettings,
  type SdkCredentials,
} from '@serverless-continuum/core/serverless';
import type { ResolvedJob } from '../config';
import { tableName } from '../compile/names';
import type { CommandContext } from './context';
import { DynamoRunStore } from '../runtime/dynamo-run-store';
import { isOver, type Phase, type RunState } from '../runtime/run-store';

export interface RunProgressSource {
  /** The ids of the runs of `key` in the table now (empty when the table is not reachable). */
  runIds(key: string): Promise<string[]>;
  /**
   * The newest run of `key` in the table other than those in `earlier`, or undefined (not started yet, or the
   * table is not reachable).
   */
  find(key: string, earlier?: ReadonlySet<string>): Promise<RunState | undefined>;
  /** The job's runs still going (mapping, reducing or writing the report), newest first. */
  active(): Promise<RunState[]>;
  /** One run by id, or undefined (unknown, or the table is not reachable). */
  get(runId: string): Promise<RunState | undefined>;
  close(): void;
}

/** The run table of a deployed job, read with the CLI's credentials; `onUnavailable` hears the first failed read. */
export async function openRunTable(
  ctx: CommandContext,
  job: ResolvedJob,
  onUnavailable: (error: Error) => void,
): Promise<RunProgressSource> {
  const config = await awsClientConfig(ctx.serverless, ctx.options);
  return runTableProgress({
    table: tableName(ctx.service, job.name),
    job: job.name,
    ...sdkClientSettings(config),
    onUnavailable,
  });
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
        const newest = newestFirst(await scanRuns(client, options.table, options.job, key)).find(
          (r) => !earlier?.has(r.runId),
        );
        return newest ? await store.getRun(newest.runId) : undefined;
      }, undefined),
    active: () =>
      attempt(async () => {
        const going = newestFirst(await scanRuns(client, options.table, options.job)).filter(
          (r) => !isOver(r.phase),
        );
        const runs = await Promise.all(going.map((r) => store.getRun(r.runId)));
        return runs.filter((r): r is RunState => r !== undefined);
      }, []),
    get: (runId) => attempt(() => store.getRun(runId), undefined),
    close: () => client.destroy(),
  };
}

interface RunSummary {
  runId: string;
  createdAt: string;
  phase: Phase;
}

const newestFirst = (runs: RunSummary[]): RunSummary[] =>
  [...runs].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));

/**
 * The job's runs (of the input `key` only, when given): the table holds a few runs (items expire), so a
 * filtered scan is cheap. Only the run items' id, start and phase are read.
 */
async function scanRuns(
  client: DynamoDBClient,
  table: string,
  job: string,
  key?: string,
): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: `sk = :run AND #job = :job${key === undefined ? '' : ' AND contains(#input, :key)'}`,
        ProjectionExpression: 'pk, createdAt, phase',
        ExpressionAttributeNames: { '#job': 'job', ...(key === undefined ? {} : { '#input': 'input' }) },
        ExpressionAttributeValues: {
          ':run': { S: 'run' },
          ':job': { S: job },
          ...(key === undefined ? {} : { ':key': { S: `"key":${JSON.stringify(key)}` } }),
        },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const runId = item.pk?.S?.replace(/^run#/, '');
      if (runId)
        runs.push({ runId, createdAt: item.createdAt?.S ?? '', phase: (item.phase?.S ?? 'map') as Phase });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return runs;
}

/** Where a run stands: its phase and that phase's count. */
export function describePhase(run: RunState): string {
  switch (run.phase) {
    case 'map':
      return `mapped ${run.doneSplits}/${run.splits} splits`;
    case 'reduce':
      return `reduced ${run.doneParts}/${run.reducers} partitions`;
    case 'finalizing':
      return 'writing the report';
    default:
      return run.phase;
  }
}

/** One line of progress: the phase and its count. */
export function describeProgress(job: string, run: RunState): string {
  return `${job}: run ${run.runId}: ${describePhase(run)}`;
}
