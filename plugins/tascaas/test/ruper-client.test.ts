// Requests as RUPER-LB's C++ client sends them (recorded from its source: `?worker=%ld&dt=%ld`,
// `?worker=%ld&nIter=%llu&dt=%ld`) get answers byte for byte, and parse the way the client parses them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lb, pull, registerNode, submit, testService, type Config } from './service-harness';

/**
 * The client's reading of an answer: `sscanf("%d")` for the flag; on 0, `sscanf("%*d %*s %llu")` for Assigned;
 * otherwise `sscanf("%*d %d")` for the error code. scanf's conversions skip leading white space.
 */
function ruperParse(body: string): { flag: number; assigned?: number; code?: number } {
  const tokens = body.trim().split(/\s+/);
  const flag = Number.parseInt(tokens[0] ?? '', 10);
  if (Number.isNaN(flag)) throw new Error('LB_ERROR_UNEXPECTED_FORMAT');
  if (flag !== 0) return { flag, code: Number.parseInt(tokens[1] ?? '', 10) };
  return { flag, assigned: Number.parseInt(tokens[2] ?? '', 10) };
}

async function onePartition(): Promise<{ t: ReturnType<typeof testService>; config: Config }> {
  const t = testService();
  const node = await registerNode(t);
  await submit(t, { iterations: 1000, time: 600, partitions: 1 });
  const [config] = await pull(t, node, 1);
  assert.ok(config);
  return { t, config };
}

describe('RUPER-LB client requests', () => {
  it('start, two reports and finish get byte-exact answers', async () => {
    const { t, config } = await onePartition();
    // Before any speed is known the ETA is the balancer's "unknown": 10^12 s.
    const start = await t.get(`/lb/${config.ID}/start`, { worker: '0', dt: '0' });
    assert.equal(start.body, '0\nAssigned: 1000\nETA: 1000000000000');
    assert.deepEqual(ruperParse(start.body), { flag: 0, assigned: 1000 });
    await t.clock.advance(10_000);
    // 100 iterations in 10 s: 10/s; (1000 - 100) / 10 = 90 s left.
    const report = await t.get(`/lb/${config.ID}/report`, { worker: '0', nIter: '100', dt: '10' });
    assert.equal(report.body, '0\nAssigned: 1000\nETA: 90');
    await t.clock.advance(10_000);
    // 300 more in 10 s: 30/s; (1000 - 400) / 30 = 20 s.
    const second = await t.get(`/lb/${config.ID}/report`, { worker: '0', nIter: '400', dt: '20' });
    assert.equal(second.body, '0\nAssigned: 1000\nETA: 20');
    await t.clock.advance(20_000);
    const finish = await lb(t, config, 'finish', { nIter: '1000', dt: '40' });
    assert.equal(ruperParse(finish.body).flag, 0);
    assert.match(finish.body, /^0\nAssigned: 1000\nETA: \d+$/);
  });

  it('answers errors as `<flag> <code>` lines the client reads its code from', async () => {
    const { t, config } = await onePartition();
    const early = await t.get(`/lb/${config.ID}/report`, { worker: '0', nIter: '5', dt: '1' });
    assert.equal(early.body, '1 5\n');
    assert.deepEqual(
      ruperParse(early.body),
      { flag: 1, code: 5 },
      'LB_ERROR_WORKER_NOT_STARTED: re-send start',
    );
    const finish = await t.get(`/lb/${config.ID}/finish`, { worker: '0', nIter: '5', dt: '1' });
    assert.deepEqual(ruperParse(finish.body), { flag: 3, code: 5 });
    const start = await t.get(`/lb/${config.ID}/start`, { worker: '0' });
    assert.deepEqual(ruperParse(start.body), { flag: 2, code: 29 }, 'LB_ERROR_UNEXPECTED_FORMAT: no dt');
  });
});
