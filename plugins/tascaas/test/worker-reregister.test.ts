// An infrastructure the server no longer knows (a 401 `Unknown worker ID`) registers again and goes on working.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalServer, type LocalServer } from '../src/local/server';
import { jobStatus, submitJob } from '../src/service';
import { runInfrastructure } from '../src/worker';

describe('an infrastructure the server forgot', () => {
  let server: LocalServer;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tascaas-reregister-'));
    server = await startLocalServer({
      definitions: [
        {
          name: 'pi',
          partitions: 1,
          maxPartitions: 1,
          maxAttempts: 3,
          results: { bucket: 'results', prefix: 'pi/' },
        },
      ],
      scaleTime: 3,
      dataDir,
      log: () => undefined,
    });
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers again and runs the next job', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const ids: string[] = [];
    const running = runInfrastructure({
      endpoint: server.url,
      secret: server.secret,
      slots: 1,
      maxSlots: 1,
      program: process.execPath,
      args: ['--import', 'tsx', join(__dirname, 'worker-sdk-program.ts')],
      output: 'ignore',
      pollMs: 50,
      handleSignals: false,
      signal: stop.signal,
      log: (line) => {
        lines.push(line);
        const id = /registered (?:again as )?([0-9a-f-]{36})/.exec(line)?.[1];
        if (id) ids.push(id);
      },
    });
    const until = async (test: () => boolean) => {
      for (let i = 0; i < 200 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(test(), lines.join('\n'));
    };
    await until(() => ids.length === 1);
    // The server forgets it (as after five silent scale periods): its id is refused from now on.
    assert.equal((await fetch(`${server.url}/node/${ids[0]}/disconnect`)).status, 200);
    await until(() => ids.length === 2);
    assert.notEqual(ids[1], ids[0]);
    const { id } = await submitJob(server.services, { iterations: 100, time: -1 });
    await until(() => lines.some((line) => /finished job .* partition 0 \(exit code 0\)/.test(line)));
    for (let i = 0; i < 40 && (await jobStatus(server.services, id))?.state !== 'COMPLETED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await jobStatus(server.services, id))?.state, 'COMPLETED');
    stop.abort();
    await running;
  });
});
