// Concurrent reports of one job lose no update: on the memory store and on DynamoDB (dynalite).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoStateStore, type StateStore } from '@serverless-continuum/core/state';
import {
  createStateTable,
  dynamoClientConfig,
  startDynalite,
  type LocalService,
} from '../../../test/harness/services';
import { definition, lb, pull, registerNode, status, submit, testService } from './service-harness';

const PARTITIONS = 50;

async function fiftyConcurrentReports(state?: StateStore) {
  const t = testService({
    definitions: [definition({ maxPartitions: PARTITIONS })],
    ...(state ? { state } : {}),
  });
  const node = await registerNode(t, PARTITIONS, PARTITIONS);
  const id = await submit(t, { iterations: 1_000_000, time: 3600, partitions: PARTITIONS });
  const configs = await pull(t, node, PARTITIONS);
  assert.equal(configs.length, PARTITIONS);
  for (const config of configs) assert.equal((await lb(t, config, 'start', { dt: '0' })).status, 200);
  await t.clock.advance(5000);
  const answers = await Promise.all(
    configs.map((config) => lb(t, config, 'report', { nIter: String(100 + Number(config.worker)), dt: '5' })),
  );
  for (const answer of answers) assert.match(answer.body, /^0\nAssigned: \d+\nETA: \d+$/);
  const job = await status(t, id);
  assert.deepEqual(
    job.partitions.map((p) => p.done),
    job.partitions.map((p) => 100 + p.index),
    'every report counted',
  );
  assert.equal(
    job.done,
    job.partitions.reduce((sum, p) => sum + 100 + p.index, 0),
  );
}

describe('50 concurrent reports', () => {
  let dynalite: LocalService | undefined;
  let client: DynamoDBClient | undefined;

  before(async () => {
    dynalite = await startDynalite();
    client = new DynamoDBClient(dynamoClientConfig(dynalite.endpoint));
    await createStateTable(client, 'tascaas');
  });
  after(async () => {
    client?.destroy();
    await dynalite?.close();
  });

  it('lose no update on the memory store', () => fiftyConcurrentReports());

  it('lose no update on DynamoDB', () => {
    assert.ok(client);
    return fiftyConcurrentReports(createDynamoStateStore({ client, table: 'tascaas' }));
  });
});
