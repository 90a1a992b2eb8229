// A Lambda worker (the middy middleware over the service in process) runs a partition from its queue, and one out
// of time checkpoints, re-enqueues and resumes in the next invocation from its checkpoint.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type middyCore from '@middy/core' with { 'resolution-mode': 'import' };
import { startLocalServer, type LocalServer } from '../src/local/server';
import { inProcessSource, jobStatus, submitJob } from '../src/service';
import { runPartition, tascaasWorker, type TascaasContext } from '../src/worker';

// @middy/core 6 is ESM-only; tsx loads it here as the handlers' bundles do.
const middy = (require('@middy/core') as { default: typeof middyCore }).default;

interface Sum {
  n: number;
}

describe('a Lambda worker fed by the partition queue', () => {
  let server: LocalServer;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tascaas-lambda-'));
    server = await startLocalServer({
      definitions: [
        {
          name: 'pi',
          partitions: 1,
          maxPartitions: 2,
          maxAttempts: 3,
          reportInterval: 1,
          results: { bucket: 'results', prefix: 'pi/' },
        },
      ],
      scaleTime: 30,
      dataDir,
      log: () => undefined,
    });
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** One invocation as Lambda's SQS event source makes it: the next message of the queue, batch size 1. */
  async function invoke(yieldAfterSteps = Infinity) {
    let steps = 0;
    // Lambda's clock as the middleware reads it: plenty of time until `yieldAfterSteps` batches have run.
    const remainingMs = () => (steps >= yieldAfterSteps ? 10 : 600_000);
    const [message] = (await server.services.queues.pi?.partitions.receive({ max: 1 })) ?? [];
    assert.ok(message, 'a message is queued');
    let resumedFrom = -1;
    const handler = middy(async (_event: unknown, context: TascaasContext) => {
      resumedFrom = context.tascaas.resumeFrom;
      return runPartition(context.tascaas, {
        initial: (previous?: Buffer) => (previous ? (JSON.parse(previous.toString()) as Sum) : { n: 0 }),
        batch: 100,
        step: (state: Sum, count: number) => {
          steps++;
          return { n: state.n + count };
        },
      });
    }).use(tascaasWorker({ source: inProcessSource(server.services, 'pi'), marginMs: 1000 }));
    const event = {
      Records: [
        {
          messageId: message.id,
          receiptHandle: message.receiptHandle,
          body: message.body,
          attributes: { ApproximateReceiveCount: String(message.receiveCount) },
        },
      ],
    };
    const result = (await handler(event, { getRemainingTimeInMillis: remainingMs } as never)) as {
      yielded: boolean;
    };
    return { result, resumedFrom };
  }

  it('runs a partition to the job`s completion', async () => {
    const { id } = await submitJob(server.services, { iterations: 1000, time: 600 });
    const { result } = await invoke();
    assert.equal(result.yielded, false);
    assert.equal((await jobStatus(server.services, id))?.state, 'COMPLETED');
  });

  it('yields before the time limit with a checkpoint, and the next invocation resumes from it', async () => {
    const { id } = await submitJob(server.services, { iterations: 1000, time: 600 });
    // Out of time after the first batch of 100.
    const first = await invoke(1);
    assert.equal(first.result.yielded, true);
    const midway = await jobStatus(server.services, id);
    assert.equal(midway?.state, 'RUNNING');
    const second = await invoke();
    assert.equal(second.resumedFrom, 100, 'resumed from the checkpoint, not from 0');
    const done = await jobStatus(server.services, id);
    assert.equal(done?.state, 'COMPLETED');
    assert.equal(done?.done, 1000);
    assert.equal(done?.partitions[0]?.attempts, 2);
  });
});
