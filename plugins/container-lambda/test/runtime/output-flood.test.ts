// A script that floods stdout: the supervisor's memory stays bounded, the log gets a capped share with a line saying
// how much was left out, and the answer keeps its own size limit. Runs the bundled supervisor as Lambda would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { LOG_LIMIT_BYTES } from '@serverless-continuum/core/local';
import { startRuntimeApi, type FakeRuntimeApi } from './helpers/runtime-api';
import { AWS_TEST_ENV, BUNDLE, startSupervisor, writeScript } from './helpers/supervisor';

const FLOOD_BYTES = 200_000_000;
/** What the supervisor may grow by while 200 MB pass through it (it grew by ~200 MB before the log was capped). */
const RSS_GROWTH_LIMIT_BYTES = 64 * 1024 * 1024;

let api: FakeRuntimeApi;
before(async () => {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run \`npm run build\` first`);
  api = await startRuntimeApi();
});
after(() => api.close());

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

test('200 MB on stdout: memory stays bounded, the log keeps a capped share and says how much was left out', async () => {
  const supervisor = startSupervisor(
    {
      ...AWS_TEST_ENV,
      AWS_LAMBDA_RUNTIME_API: api.address,
      // Lines of 100 bytes, so the log sees many lines rather than one giant one.
      CONTINUUM_SCRIPT: writeScript(
        `case "$EVENT" in *flood*) yes '${'a'.repeat(99)}' | head -c ${FLOOD_BYTES};; *) echo warm;; esac\n`,
      ),
    },
    { from: 'bundle' },
  );
  try {
    const pid = supervisor.child.pid!;
    // Warm-up: the first invocation loads everything the supervisor needs, so growth is measured after it.
    await api.invoke({ warm: true }, { requestId: 'req-warm' });
    const baseline = rssBytes(pid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
    const outcome = await api
      .invoke({ flood: true }, { requestId: 'req-flood' })
      .finally(() => clearInterval(sampler));
    assert.equal(outcome.kind, 'response');
    assert.ok(
      peak - baseline < RSS_GROWTH_LIMIT_BYTES,
      `supervisor RSS grew by ${Math.round((peak - baseline) / 1e6)} MB (from ${Math.round(baseline / 1e6)} MB)`,
    );
    const answer = outcome.body as string;
    assert.equal(answer.length, 4_400_000, 'the answer keeps its own size limit');
    const log = supervisor.output();
    assert.ok(log.length < 2 * LOG_LIMIT_BYTES, `the log got ${log.length} bytes`);
    const leftOut = /\[supervisor\] (\d+) more bytes of the script's output were left out of the log/.exec(
      log,
    );
    assert.ok(leftOut, 'the log says how much was left out');
    const omitted = Number(leftOut[1]);
    assert.ok(
      omitted >= FLOOD_BYTES - LOG_LIMIT_BYTES && omitted < FLOOD_BYTES - LOG_LIMIT_BYTES + 200,
      `${omitted} bytes left out`,
    );
  } finally {
    await supervisor.stop();
  }
});
