// The framework's commands on OSCAR (deploy, deploy function, invoke, logs, info, remove, oscar put|get|ls),
// against a small in-memory cluster behind the client interface.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStorage } from '@serverless-continuum/core/storage';
import type { ServerlessLike } from '@serverless-continuum/core/serverless';
import type { OscarService } from '../src/client/types';
import { resolveOscarFunction, type OscarFunctionConfig, type ResolvedOscarFunction } from '../src/config';
import { serviceDefinition, TRACKING_LABEL } from '../src/service-definition';
import type { CommandContext } from '../src/commands/context';
import { deployCommand, deployFunctionCommand, deployServices } from '../src/commands/deploy';
import { invokeCommand } from '../src/commands/invoke';
import { logsCommand } from '../src/commands/logs';
import { infoLines } from '../src/commands/info';
import { removeCommand } from '../src/commands/remove';
import { getCommand, lsCommand, putCommand } from '../src/commands/storage';
import { asStored, fakeCluster, type FakeCluster } from './fake-cluster';
import { options, plants } from './functions';

const work = mkdtempSync(join(tmpdir(), 'oscar-commands-'));
after(() => rmSync(work, { recursive: true, force: true }));

const grayify: OscarFunctionConfig = {
  container: { image: 'grycap/imagemagick', script: 'grayify.sh' },
  input: [{ storage: 'minio.default', path: 'grayify/in' }],
  output: [{ storage: 'minio.default', path: 'grayify/out' }],
};

interface Run {
  ctx: CommandContext;
  text: string[];
  warnings: string[];
}

function context(
  cluster: FakeCluster,
  functions: Record<string, OscarFunctionConfig> = { plants, grayify },
  cli: CommandContext['options'] = {},
  tracking = 'plants-dev',
): Run {
  const text: string[] = [];
  const warnings: string[] = [];
  const resolved = new Map<string, ResolvedOscarFunction>();
  const definitions = new Map<string, OscarService>();
  for (const [name, fn] of Object.entries(functions)) {
    const r = resolveOscarFunction(name, fn, options);
    resolved.set(name, r);
    definitions.set(name, serviceDefinition(r, tracking));
  }
  const log = Object.assign(() => undefined, {
    error: () => undefined,
    warning: (m?: string) => void warnings.push(m ?? ''),
    notice: () => undefined,
    info: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
    success: () => undefined,
  });
  const ctx: CommandContext = {
    serverless: {} as ServerlessLike,
    options: cli,
    utils: {
      log,
      progress: { create: () => ({ update: () => undefined, remove: () => undefined }) },
      writeText: (t) => void text.push(...[t].flat()),
    },
    endpoint: 'https://oscar.example.org',
    tracking,
    functions: resolved,
    definitions,
    client: () => cluster,
    sleep: async () => undefined,
  };
  return { ctx, text, warnings };
}

describe('sls deploy', () => {
  test('creates the missing services, then finds them identical: no call but the listing', async () => {
    const cluster = fakeCluster();
    const first = context(cluster);
    await deployCommand(first.ctx);
    assert.deepEqual(cluster.calls, ['list', 'create plants', 'create grayify']);
    assert.equal(cluster.services.get('plants')?.script, 'echo plants\n');
    assert.equal(
      (cluster.services.get('plants')?.labels as Record<string, string>)[TRACKING_LABEL],
      'plants-dev',
    );
    assert.match(
      first.text[0]!,
      /OSCAR services on https:\/\/oscar\.example\.org: 2 created, 0 updated, 0 unchanged, 0 removed/,
    );
    assert.ok(first.text.includes('  https://oscar.example.org/run/plants (sync)'), first.text.join('\n'));
    assert.ok(first.text.includes('  https://oscar.example.org/job/grayify (async)'), first.text.join('\n'));

    cluster.calls.length = 0;
    const again = context(cluster);
    assert.deepEqual(await deployServices(again.ctx), [
      { name: 'plants', action: 'unchanged' },
      { name: 'grayify', action: 'unchanged' },
    ]);
    assert.deepEqual(cluster.calls, ['list']);
  });

  test('updates what changed (naming the fields) and removes its own services the file no longer defines', async () => {
    const cluster = fakeCluster();
    await deployServices(context(cluster).ctx);
    cluster.calls.length = 0;
    const next = context(cluster, { plants: { ...plants, cpu: '2' } });
    await deployCommand(next.ctx);
    assert.deepEqual(cluster.calls, ['list', 'update plants', 'delete grayify']);
    assert.match(next.text.join('\n'), /plants +updated +cpu/);
    assert.match(next.text.join('\n'), /grayify +removed/);
    assert.match(next.warnings.join('\n'), /OSCAR deletes the MinIO buckets[\s\S]*grayify: grayify/);
    assert.equal(cluster.services.get('plants')?.cpu, '2');
  });

  test('never touches a service of the same name it did not create', async () => {
    const foreign = asStored({ name: 'plants', image: 'someone/else', script: 'x' });
    const other = asStored({
      name: 'legacy',
      image: 'a/b',
      script: 'y',
      labels: { [TRACKING_LABEL]: 'plants-prod' },
    });
    const cluster = fakeCluster([foreign, other]);
    await assert.rejects(deployServices(context(cluster).ctx), {
      code: 'CONTINUUM_INVALID_CONFIG',
      message:
        /deploy of service plants: a service of that name exists on https:\/\/oscar\.example\.org and was not created by this service/,
    });
    assert.deepEqual(cluster.calls, ['list']);
    const owned = fakeCluster([{ ...foreign, labels: { [TRACKING_LABEL]: 'plants-prod' } }]);
    await assert.rejects(deployServices(context(owned).ctx), { message: /belongs to plants-prod/ });
  });

  test('deploy function -f updates that one service and removes nothing', async () => {
    const cluster = fakeCluster();
    await deployServices(context(cluster).ctx);
    cluster.calls.length = 0;
    const run = context(cluster, { grayify: { ...grayify, memory: '1Gi' } }, { function: 'grayify' });
    await deployFunctionCommand(run.ctx);
    assert.deepEqual(cluster.calls, ['list', 'update grayify']);
    assert.ok(cluster.services.has('plants'));
  });
});

describe('sls invoke', () => {
  test('/run with the service token; the answer to stdout, or to --output', async () => {
    const cluster = fakeCluster();
    await deployServices(context(cluster).ctx);
    const output = join(work, 'answer.txt');
    const run = context(cluster, undefined, { function: 'plants', data: 'a leaf', output });
    await invokeCommand(run.ctx);
    assert.deepEqual(cluster.runs, [{ name: 'plants', token: 'token-of-plants', input: 'a leaf' }]);
    assert.equal(readFileSync(output, 'utf8'), 'hello from the cluster\n');
  });

  test('a zip answer (several output files) is unpacked into a folder', async () => {
    const cluster = fakeCluster();
    await deployServices(context(cluster).ctx);
    cluster.runAnswer = zip({ 'a.txt': 'first', 'sub/b.txt': 'second' });
    const out = join(work, 'zip-out');
    const input = join(work, 'leaf.jpg');
    writeFileSync(input, 'jpeg bytes');
    const run = context(cluster, undefined, { function: 'plants', path: input, output: out });
    await invokeCommand(run.ctx);
    assert.equal(cluster.runs[0]?.input, 'jpeg bytes');
    assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), 'first');
    assert.equal(readFileSync(join(out, 'sub', 'b.txt'), 'utf8'), 'second');
    assert.match(run.text[0]!, /2 file\(s\) in/);
  });

  test('--async (or --type Event) submits a job', async () => {
    const cluster = fakeCluster();
    await deployServices(context(cluster).ctx);
    await invokeCommand(context(cluster, undefined, { function: 'plants', data: 'x', async: true }).ctx);
    await invokeCommand(context(cluster, undefined, { function: 'plants', data: 'y', type: 'Event' }).ctx);
    assert.deepEqual(
      cluster.calls.filter((c) => c.startsWith('job') || c.startsWith('run')),
      ['job plants', 'job plants'],
    );
  });

  test('a service not deployed, and a function not defined, say what to do', async () => {
    const cluster = fakeCluster();
    await assert.rejects(invokeCommand(context(cluster, undefined, { function: 'plants' }).ctx), {
      code: 'CONTINUUM_NOT_FOUND',
      message: /service plants is not deployed on https:\/\/oscar\.example\.org: run sls deploy first/,
    });
    await assert.rejects(invokeCommand(context(cluster, undefined, { function: 'nope' }).ctx), {
      message: /functions\.nope: is not a function of this service \(functions: plants, grayify\)/,
    });
  });
});

describe('sls logs', () => {
  const jobs = {
    'plants-b': { status: 'Running', creation_time: '2026-01-01T10:05:00Z' },
    'plants-a': {
      status: 'Succeeded',
      creation_time: '2026-01-01T10:00:00Z',
      finish_time: '2026-01-01T10:01:00Z',
    },
  };

  test('lists the jobs, oldest first; --job prints one job log', async () => {
    const cluster = fakeCluster();
    cluster.jobsOf.set('plants', jobs);
    cluster.logsOf.set('plants-a', 'classified leaf.jpg');
    const list = context(cluster, undefined, { function: 'plants' });
    await logsCommand(list.ctx);
    assert.match(list.text[1]!, /^plants-a +Succeeded/);
    assert.match(list.text[2]!, /^plants-b +Running/);
    const one = context(cluster, undefined, { function: 'plants', job: 'plants-a' });
    await logsCommand(one.ctx);
    assert.deepEqual(one.text, ['classified leaf.jpg']);
  });

  test('--tail prints the log of each job once it ends', async () => {
    const cluster = fakeCluster();
    cluster.jobsOf.set('plants', structuredClone(jobs));
    cluster.logsOf.set('plants-b', 'second leaf');
    const run = context(cluster, undefined, { function: 'plants', tail: true });
    run.ctx.sleep = async () => {
      cluster.jobsOf.get('plants')!['plants-b']!.status = 'Succeeded';
    };
    await logsCommand(run.ctx, { rounds: 2 });
    assert.deepEqual(run.text.slice(-2), ['--- plants-b (Succeeded)', 'second leaf']);
    assert.equal(cluster.calls.filter((c) => c === 'log plants plants-b').length, 1);
  });
});

test('sls info: cluster version, its config, and each service with its state and URLs', async () => {
  const cluster = fakeCluster();
  await deployServices(context(cluster, { plants }).ctx);
  const lines = await infoLines(context(cluster).ctx);
  const text = lines.join('\n');
  assert.match(
    text,
    /cluster: https:\/\/oscar\.example\.org\n {2}version: v4\.1\.2, kubernetes v1\.30\.0, amd64/,
  );
  assert.match(text, /plants +plants +deployed/);
  assert.match(text, /grayify +grayify +not deployed/);
  assert.match(text, /https:\/\/oscar\.example\.org\/run\/plants/);
  assert.doesNotMatch(text, /minio-secret/);
});

test('sls info prints no credential even if the cluster config held one', async () => {
  const cluster = fakeCluster();
  cluster.config = async () => ({
    minio_provider: { endpoint: 'http://minio', secret_key: 'S3CRET', access_key: 'AK' },
  });
  const text = (await infoLines(context(cluster).ctx)).join('\n');
  assert.match(text, /"endpoint":"http:\/\/minio"/);
  assert.doesNotMatch(text, /S3CRET|"AK"/);
});

test('sls remove: only the services carrying this service label, after naming the buckets OSCAR deletes', async () => {
  const cluster = fakeCluster([
    asStored({
      name: 'someone-elses',
      image: 'a/b',
      script: 'x',
      input: [{ storage_provider: 'minio', path: 'shared/in' }],
    }),
  ]);
  await deployServices(context(cluster).ctx);
  cluster.calls.length = 0;
  const run = context(cluster);
  await removeCommand(run.ctx);
  assert.deepEqual(cluster.calls, ['list', 'delete plants', 'delete grayify']);
  assert.deepEqual([...cluster.services.keys()], ['someone-elses']);
  assert.match(run.warnings[0]!, /plants: plants\n {2}grayify: grayify/);
  assert.doesNotMatch(run.warnings[0]!, /shared/);
  assert.match(
    run.text[0]!,
    /Removed 2 OSCAR service\(s\) from https:\/\/oscar\.example\.org: plants, grayify/,
  );
});

test("sls oscar put|ls|get: the service's MinIO input and output buckets", async () => {
  const storage = createLocalStorage(join(work, 'minio'));
  const cluster = fakeCluster();
  const file = join(work, 'photo.jpg');
  writeFileSync(file, 'photo');
  const put = context(cluster, undefined, { function: 'grayify', file });
  await putCommand(put.ctx, storage);
  assert.match(put.text[0]!, /Uploaded .*photo\.jpg to grayify\/in\/photo\.jpg/);
  await storage.put('grayify', 'out/photo.jpg', 'gray photo');
  const ls = context(cluster, undefined, { function: 'grayify' });
  await lsCommand(ls.ctx, storage);
  assert.match(
    ls.text.join('\n'),
    /input\[0\] +grayify\/in\/photo\.jpg +5\n.*output\[0\] +grayify\/out\/photo\.jpg +10/,
  );
  const out = join(work, 'got');
  await getCommand(context(cluster, undefined, { function: 'grayify', out }).ctx, storage);
  assert.equal(readFileSync(join(out, 'photo.jpg'), 'utf8'), 'gray photo');
});

/** A zip archive with deflated entries, as OSCAR's supervisor writes several outputs. */
function zip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = deflateRawSync(Buffer.from(content));
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
