// A TaScaaS-protocol infrastructure written here, as TaScaaS's worker.py speaks it (register, update, jobs, the
// upload request, disconnect), and programs speaking RUPER-LB's /lb, against the real local server over HTTP.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalServer, type LocalServer } from '../plugins/tascaas/src/local/server';

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
};

describe('a TaScaaS-protocol infrastructure against the local server', () => {
  let server: LocalServer;
  let dataDir: string;
  const logged: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tascaas-protocol-'));
    server = await startLocalServer({
      definitions: [
        {
          name: 'pi',
          partitions: 3,
          maxPartitions: 3,
          maxAttempts: 3,
          reportInterval: 20,
          results: { bucket: 'results', prefix: 'pi/' },
          input: { bucket: 'inputs', prefix: 'pi/' },
        },
      ],
      scaleTime: 30,
      dataDir,
      log: (line) => logged.push(line),
    });
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('registers, pulls, runs every partition, uploads and disconnects; the job completes', async () => {
    const api = server.url;
    const input = await fetch(`${api}/jobs/inputs/pi/data.txt`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.secret}` },
      body: 'seed=7',
    });
    assert.equal(input.status, 200);
    const submitted = await fetch(`${api}/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ iterations: 3000, time: -1, initWorkers: 3, inputFile: 'data.txt' }),
    });
    assert.equal(submitted.status, 201);
    const { id: jobId } = (await submitted.json()) as { id: string };

    // worker.py: url + "/node/register?slots=%d&maxSlots=%d&secret=%s"
    const registered = await get(`${api}/node/register?slots=3&maxSlots=6&secret=${server.secret}`);
    assert.equal(registered.status, 200);
    const { id: nodeId, scaleTime } = JSON.parse(registered.body) as { id: string; scaleTime: unknown };
    assert.equal(Number.isInteger(Number(scaleTime)), true, 'int(responseJSON["scaleTime"]) works');

    const update = JSON.parse((await get(`${api}/node/${nodeId}/update`)).body) as Record<string, unknown>;
    assert.ok(Number.isFinite(Number.parseFloat(String(update.requiredCap))), 'float(requiredCap) works');
    assert.ok(Number.isInteger(update.epoch));

    const jobs = JSON.parse((await get(`${api}/node/${nodeId}/jobs?slots=3`)).body) as {
      requiredCap: string;
      configs: Record<string, string>[];
    };
    assert.equal(jobs.configs.length, 3);
    for (const job of jobs.configs) {
      // worker.py: endpoint = url + "/lb/" + job["ID"]; the upload request from ID, int(worker) and its node id.
      const endpoint = `${api}/lb/${job.ID}`;
      const uploadRequest = `${api}/results/upload/${job.ID}/${Number.parseInt(job.worker ?? '', 10)}?wID=${nodeId}`;
      const data = await get(job['data-url'] ?? '');
      assert.equal(data.body, 'seed=7', 'data-url serves the job input');
      const start = await get(`${endpoint}/start?worker=${job.worker}&dt=0`);
      const assigned = Number(/Assigned: (\d+)/.exec(start.body)?.[1]);
      assert.equal(assigned, Number(job.nIter));
      assert.match(
        (await get(`${endpoint}/finish?worker=${job.worker}&nIter=${assigned}&dt=1`)).body,
        /^0\n/,
      );
      // TaScaaS's example: `uploadurl=$(curl $uploadRequest)`, then `curl -X PUT -T file "$uploadurl"`.
      const link = await get(uploadRequest);
      assert.equal(link.status, 200);
      assert.equal(
        (await fetch(link.body, { method: 'PUT', body: `partition ${job.worker}: ${assigned}` })).status,
        200,
      );
    }
    const bad = await get(`${api}/results/upload/${jobs.configs[0]?.ID}/0?wID=not-a-node`);
    assert.equal(bad.status, 401);
    assert.equal((await get(`${api}/node/${nodeId}/disconnect`)).status, 200);
    assert.equal((await get(`${api}/node/${nodeId}/update`)).status, 401, 'a disconnected id is cancelled');

    const status = await fetch(`${api}/jobs/${jobId}`, {
      headers: { authorization: `Bearer ${server.secret}` },
    });
    const job = (await status.json()) as { state: string; done: number; partitions: { state: string }[] };
    assert.equal(job.state, 'COMPLETED');
    assert.equal(job.done, 3000);
    assert.deepEqual(
      job.partitions.map((p) => p.state),
      ['finished', 'finished', 'finished'],
    );
    const manifest = JSON.parse(
      readFileSync(join(dataDir, 'objects', 'results', 'pi', jobId, '_SUCCESS.json'), 'utf8'),
    ) as { done: number; partitions: { result: string }[] };
    assert.equal(manifest.done, 3000);
    assert.equal(
      readFileSync(join(dataDir, 'objects', 'results', manifest.partitions[1]?.result ?? ''), 'utf8'),
      'partition 1: 1000',
    );
  });

  it('starts the job an uploaded *.config describes, and keeps an invalid one as a FAILED job naming the field', async () => {
    const put = (name: string, body: string) =>
      fetch(`${server.url}/jobs/inputs/pi/${name}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${server.secret}` },
        body,
      });
    const status = async (id: string) =>
      (await (
        await fetch(`${server.url}/jobs/${id}`, { headers: { authorization: `Bearer ${server.secret}` } })
      ).json()) as { state: string; iterations: number; failed?: string; partitions: unknown[] };
    // TaScaaS's own configuration file format.
    const good = (await (
      await put('run.config', '{"iterations": 600, "time": 60, "initWorkers": 2}')
    ).json()) as {
      job: string;
    };
    assert.match(good.job, /^cfg-[0-9a-f]{32}$/);
    const started = await status(good.job);
    assert.equal(started.state, 'RUNNING');
    assert.equal(started.partitions.length, 2);
    const again = (await (
      await put('run.config', '{"iterations": 600, "time": 60, "initWorkers": 2}')
    ).json()) as {
      job: string;
    };
    assert.equal(again.job, good.job, 'the same upload starts the same job once');
    const bad = (await (await put('bad.config', '{"iterations": -5, "time": 60}')).json()) as { job: string };
    const failed = await status(bad.job);
    assert.equal(failed.state, 'FAILED');
    assert.match(failed.failed ?? '', /^job\.iterations: must be a whole number >= 1/);
  });

  it('logs no token and no signed link', () => {
    assert.ok(logged.length > 0);
    for (const line of logged) {
      assert.doesNotMatch(line, /[a-z0-9-]{36}\.\d+\.[A-Za-z0-9_-]{22}/, line);
      assert.doesNotMatch(line, /sig=/, line);
      assert.doesNotMatch(line, new RegExp(server.secret), line);
    }
  });

  it('refuses object links that are not signed for the object', async () => {
    const answer = await get(`${server.url}/objects/results/pi/x.result?expires=9999999999&sig=forged`);
    assert.equal(answer.status, 403);
  });
});
