// `sls mapreduce run` (cloud mode) and `status` through the real CLI against s3rver: the upload lands under the
// input prefix, the CLI follows that object's run to its `_SUCCESS.json`/`_FAILED.json`, and lists runs.
// The deployed pipeline itself is stood in for by the test: it records the run with the runtime's own DynamoDB
// store (on dynalite) and writes the markers a run writes; the pipeline runs end to end in the runtime's tests.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRunTable } from '../plugins/mapreduce/test/run-table';
import { DynamoRunStore } from '../plugins/mapreduce/src/runtime/dynamo-run-store';
import {
  dynamoClientConfig,
  startDynalite,
  startS3rver,
  s3ClientConfig,
  type LocalService,
} from './harness/services';
import { runSls } from '../plugins/mapreduce/test/cli';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-wordcount');

function report(runId: string, key: string, status: 'succeeded' | 'failed') {
  const input = { bucket: 'corpus-bucket', key, size: 27 };
  if (status === 'failed') {
    return {
      runId,
      job: 'wordcount',
      status,
      phase: 'map',
      split: { index: 1, start: 64, end: 128 },
      attempts: 3,
      error: { message: 'map threw: bad record' },
      input,
      failedAt: new Date().toISOString(),
    };
  }
  return {
    runId,
    job: 'wordcount',
    status,
    input,
    output: { bucket: 'results-bucket', prefix: 'wordcount/', parts: ['part-00000'], format: 'tsv' },
    splits: 1,
    mappers: 1,
    reducers: 1,
    records: { in: 2, emitted: 5, mapOutput: 5, reduceInput: 5, out: 3 },
    bytes: { read: 27, intermediate: 40, output: 24 },
    times: { startedAt: '', finishedAt: '', mapMs: 120, reduceMs: 80, totalMs: 250 },
    retries: { map: 0, reduce: 0 },
    backups: 0,
    spills: 0,
    cost: { region: 'us-east-1', estimatedUsd: 0.0000042, basis: 'lambda' },
  };
}

describe('sls mapreduce run and status against S3 (s3rver)', () => {
  let s3: LocalService;
  let dynamo: LocalService;
  let client: S3Client;
  let dynamoClient: DynamoDBClient;
  let store: DynamoRunStore;
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    s3 = await startS3rver({ buckets: ['corpus-bucket', 'results-bucket'] });
    client = new S3Client(s3ClientConfig(s3.endpoint));
    dynamo = await startDynalite();
    dynamoClient = new DynamoDBClient(dynamoClientConfig(dynamo.endpoint));
    // The table as the plugin declares it (`mr-fixture-dev-wordcount-mr-runs`, pk/sk).
    await createRunTable(dynamo.endpoint, 'mr-fixture-dev-wordcount-mr-runs');
    store = new DynamoRunStore(dynamoClient, 'mr-fixture-dev-wordcount-mr-runs');
    work = mkdtempSync(join(tmpdir(), 'mapreduce-cloud-'));
    env = {
      MAPREDUCE_S3_ENDPOINT: s3.endpoint,
      MAPREDUCE_DYNAMODB_ENDPOINT: dynamo.endpoint,
      MAPREDUCE_POLL_MS: '100',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };
  });
  after(async () => {
    client.destroy();
    dynamoClient.destroy();
    await s3.close();
    await dynamo.close();
    rmSync(work, { recursive: true, force: true });
  });

  const put = (key: string, body: string) =>
    client.send(new PutObjectCommand({ Bucket: 'results-bucket', Key: key, Body: body }));

  /**
   * Stands in for the deployed pipeline: once `key` is uploaded, records the run in the run table with the
   * runtime's own store, waits until the CLI reports its progress, then publishes the run's markers.
   */
  async function pipelineFor(
    key: string,
    runId: string,
    status: 'succeeded' | 'failed',
    progressShown: Promise<void>,
    cliExited: () => boolean,
    startDelayMs = 0,
  ): Promise<void> {
    for (;;) {
      if (cliExited()) return;
      try {
        await client.send(new HeadObjectCommand({ Bucket: 'corpus-bucket', Key: key }));
        break;
      } catch {
        await sleep(50);
      }
    }
    await sleep(startDelayMs);
    const input = { bucket: 'corpus-bucket', key, size: 10 };
    const createdAt = new Date().toISOString();
    await store.createRun({
      runId,
      job: 'wordcount',
      input,
      splits: 2,
      reducers: 1,
      launched: 2,
      createdAt,
      phase: 'map',
    });
    await store.markSplitDone(runId, 0);
    await progressShown;
    if (cliExited()) return;
    // Another object's run finishing meanwhile is not ours.
    await put(
      'wordcount/other-run/_SUCCESS.json',
      JSON.stringify(report('other-run', 'texts/other.txt', 'succeeded')),
    );
    if (status === 'succeeded') await put(`wordcount/${runId}/part-00000`, 'a\t2\nb\t2\nc\t1\n');
    const marker = status === 'succeeded' ? '_SUCCESS.json' : '_FAILED.json';
    await put(`wordcount/${runId}/${marker}`, JSON.stringify(report(runId, key, status)));
  }

  /**
   * Runs the CLI next to the stand-in pipeline. The pipeline waits for the CLI's progress line before it
   * publishes, and gives up as soon as the CLI exits (so a failing CLI fails the test instead of hanging it).
   */
  async function runWithPipeline(
    args: string[],
    key: string,
    runId: string,
    status: 'succeeded' | 'failed',
    startDelayMs = 0,
  ) {
    let exited = false;
    let shown!: () => void;
    const progressShown = new Promise<void>((resolve) => (shown = resolve));
    const cli = runSls('osls', args, {
      cwd: FIXTURE,
      env,
      onOutput: (all) => all.includes(`wordcount: run ${runId}: mapped`) && shown(),
    }).finally(() => {
      exited = true;
      shown();
    });
    const [run] = await Promise.all([
      cli,
      pipelineFor(key, runId, status, progressShown, () => exited, startDelayMs),
    ]);
    return run;
  }

  test('uploads the file under the input prefix and prints the report of its run', async () => {
    await put(
      'wordcount/older-run/_SUCCESS.json',
      JSON.stringify(report('older-run', 'texts/book.txt', 'succeeded')),
    );
    const file = join(work, 'book.txt');
    writeFileSync(file, 'a b c\na b\n');
    const download = join(work, 'results');
    const run = await runWithPipeline(
      ['mapreduce', 'run', '--job', 'wordcount', '--input', file, '--output', download],
      'texts/book.txt',
      'book.txt-1234',
      'succeeded',
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const uploaded = await client.send(
      new GetObjectCommand({ Bucket: 'corpus-bucket', Key: 'texts/book.txt' }),
    );
    assert.equal(await uploaded.Body?.transformToString(), 'a b c\na b\n');
    assert.match(run.stdout, /Run book\.txt-1234 of job wordcount succeeded/);
    assert.match(run.stderr, /wordcount: run book\.txt-1234: mapped [01]\/2 splits/);
    assert.match(run.stdout, /records +2 in, 5 emitted, 5 after combine, 3 out/);
    assert.match(run.stdout, /Report: s3:\/\/results-bucket\/wordcount\/book\.txt-1234\/_SUCCESS\.json/);
    assert.match(run.stdout, /First lines of part-00000:\n {2}a\t2\n {2}b\t2\n {2}c\t1/);
    assert.match(
      run.stdout,
      new RegExp(
        `Downloaded 2 files to ${join(download, 'book.txt-1234').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
    assert.equal(readFileSync(join(download, 'book.txt-1234', 'part-00000'), 'utf8'), 'a\t2\nb\t2\nc\t1\n');
    assert.equal(
      JSON.parse(readFileSync(join(download, 'book.txt-1234', '_SUCCESS.json'), 'utf8')).runId,
      'book.txt-1234',
    );
  });

  test('a failed run exits non-zero and names the failed split', async () => {
    const file = join(work, 'bad.txt');
    writeFileSync(file, 'x\n');
    const run = await runWithPipeline(
      ['mapreduce', 'run', '--job', 'wordcount', '--input', file],
      'texts/bad.txt',
      'bad.txt-5678',
      'failed',
    );
    assert.notEqual(run.code, 0);
    const output = run.stdout + run.stderr;
    assert.match(output, /failed +in the map phase, split 1 \(bytes 64-128\), after 3 attempts/);
    assert.match(output, /error +map threw: bad record/);
    assert.match(output, /run bad\.txt-5678 of job wordcount failed; intermediate objects are kept/);
  });

  test('a re-upload of the same file follows its new run, not the earlier run of that key', async () => {
    // An earlier upload of texts/again.txt ran to its end; its run is still in the table.
    await store.createRun({
      runId: 'again.txt-old',
      job: 'wordcount',
      input: { bucket: 'corpus-bucket', key: 'texts/again.txt', size: 10 },
      splits: 2,
      reducers: 1,
      launched: 2,
      createdAt: new Date(Date.now() - 3_600_000).toISOString(),
      phase: 'map',
    });
    await store.transition('again.txt-old', 'map', 'done', 'earlier-upload');
    const file = join(work, 'again.txt');
    writeFileSync(file, 'a b\n');
    const run = await runWithPipeline(
      ['mapreduce', 'run', '--job', 'wordcount', '--input', file],
      'texts/again.txt',
      'again.txt-new',
      'succeeded',
      // The new run starts a while after the upload: meanwhile the CLI polls with only the earlier one there.
      800,
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stderr, /wordcount: run again\.txt-new: mapped [01]\/2 splits/);
    assert.doesNotMatch(run.stdout + run.stderr, /again\.txt-old/);
  });

  test('warns once when no run has started for the upload after a while, and keeps waiting for it', async () => {
    const file = join(work, 'late.txt');
    writeFileSync(file, 'late\n');
    let exited = false;
    let warned!: () => void;
    const warning = new Promise<void>((resolve) => (warned = resolve));
    const cli = runSls('osls', ['mapreduce', 'run', '--job', 'wordcount', '--input', file], {
      cwd: FIXTURE,
      env: { ...env, MAPREDUCE_START_WARN_MS: '300' },
      onOutput: (all) => all.includes('No run of s3://corpus-bucket/texts/late.txt has started') && warned(),
    }).finally(() => {
      exited = true;
      warned();
    });
    // The pipeline is late: its run appears only after the warning, and then finishes.
    const late = (async () => {
      await warning;
      if (exited) return;
      await sleep(300);
      await put('wordcount/late.txt-1/part-00000', 'late\t1\n');
      await put(
        'wordcount/late.txt-1/_SUCCESS.json',
        JSON.stringify(report('late.txt-1', 'texts/late.txt', 'succeeded')),
      );
    })();
    const [run] = await Promise.all([cli, late]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const output = run.stdout + run.stderr;
    assert.match(
      output,
      /No run of s3:\/\/corpus-bucket\/texts\/late\.txt has started after 0\.3 s\. Is the job deployed \(sls deploy\) with its trigger on s3:\/\/corpus-bucket\/texts\/\? sls mapreduce logs --job wordcount --role coordinator shows what the coordinator did\. Still waiting/,
    );
    assert.equal(output.split('No run of').length - 1, 1);
    assert.match(run.stdout, /Run late\.txt-1 of job wordcount succeeded/);
  });

  test('an s3:// input outside the input prefix is refused: it would start no run', async () => {
    const run = await runSls(
      'osls',
      ['mapreduce', 'run', '--job', 'wordcount', '--input', 's3://corpus-bucket/elsewhere/a.txt'],
      { cwd: FIXTURE, env },
    );
    assert.notEqual(run.code, 0);
    assert.match(
      run.stdout + run.stderr,
      /--input: s3:\/\/corpus-bucket\/elsewhere\/a\.txt is not under the job's input s3:\/\/corpus-bucket\/texts\//,
    );
  });

  test('status lists the finished runs and those still going, and --run prints one report', async () => {
    const createdAt = new Date().toISOString();
    await store.createRun({
      runId: 'big.txt-42',
      job: 'wordcount',
      input: { bucket: 'corpus-bucket', key: 'texts/big.txt', size: 4000 },
      splits: 4,
      reducers: 1,
      launched: 4,
      createdAt,
      phase: 'map',
    });
    await store.markSplitDone('big.txt-42', 2);
    const list = await runSls('osls', ['mapreduce', 'status', '--job', 'wordcount'], { cwd: FIXTURE, env });
    assert.equal(list.code, 0, list.stderr + list.stdout);
    assert.match(list.stdout, /Runs of job wordcount \(s3:\/\/results-bucket\/wordcount\/\):/);
    for (const [id, status] of [
      ['older-run', 'succeeded'],
      ['book.txt-1234', 'succeeded'],
      ['bad.txt-5678', 'failed'],
    ] as const) {
      assert.match(list.stdout, new RegExp(`\\n {2}${id.replace('.', '\\.')} +${status} +\\d{4}-`));
    }
    // Runs the stand-in pipeline left in the table with their markers written count as finished only.
    const running = list.stdout.slice(list.stdout.indexOf('Running'));
    assert.equal(
      running.trimEnd(),
      `Running (run table mr-fixture-dev-wordcount-mr-runs):\n  big.txt-42  since ${createdAt}  mapped 1/4 splits`,
    );
    const going = await runSls('osls', ['mapreduce', 'status', '--job', 'wordcount', '--run', 'big.txt-42'], {
      cwd: FIXTURE,
      env,
    });
    assert.equal(going.code, 0, going.stderr + going.stdout);
    assert.match(
      going.stdout,
      new RegExp(`Run big\\.txt-42 running since ${createdAt.replace(/\./g, '\\.')}: mapped 1/4 splits`),
    );
    const one = await runSls('osls', ['mapreduce', 'status', '--job', 'wordcount', '--run', 'bad.txt-5678'], {
      cwd: FIXTURE,
      env,
    });
    assert.equal(one.code, 0, one.stderr + one.stdout);
    assert.match(
      one.stdout,
      /Run bad\.txt-5678 failed: s3:\/\/results-bucket\/wordcount\/bad\.txt-5678\/_FAILED\.json/,
    );
  });
});
