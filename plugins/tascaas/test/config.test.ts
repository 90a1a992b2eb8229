import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  overlaps,
  parseDuration,
  parseSecretSetting,
  resolveDefinition,
  resolveDefinitions,
  resolveSettings,
} from '../src/config';

const service = { functions: { simulate: {}, other: {} } };
const montecarlo = { results: 'results-bucket/montecarlo/' };

describe('custom.tascaas job config', () => {
  test('fills the documented defaults into the job definition', () => {
    assert.deepEqual(resolveDefinition('montecarlo', montecarlo), {
      name: 'montecarlo',
      partitions: 1,
      maxPartitions: 10,
      maxAttempts: 3,
      results: { bucket: 'results-bucket', prefix: 'montecarlo/' },
    });
  });

  test('takes every setting of a block, durations in seconds and locations as folders', () => {
    const definition = resolveDefinition(
      'montecarlo',
      {
        worker: 'simulate',
        partitions: 8,
        maxPartitions: 32,
        reportInterval: '20s',
        maxAttempts: 5,
        results: 'results-bucket/montecarlo',
        input: 'inputs-bucket',
      },
      service,
    );
    assert.deepEqual(definition, {
      name: 'montecarlo',
      partitions: 8,
      maxPartitions: 32,
      reportInterval: 20,
      maxAttempts: 5,
      results: { bucket: 'results-bucket', prefix: 'montecarlo/' },
      input: { bucket: 'inputs-bucket', prefix: '' },
      worker: 'simulate',
    });
  });

  test('maxPartitions defaults to partitions when a block asks for more than 10', () => {
    assert.equal(resolveDefinition('big', { ...montecarlo, partitions: 16 }).maxPartitions, 16);
  });

  test('refuses maxPartitions below partitions, naming the path and the partitions', () => {
    assert.throws(
      () => resolveDefinition('montecarlo', { ...montecarlo, partitions: 8, maxPartitions: 4 }),
      /^ConfigError: custom\.tascaas\.montecarlo\.maxPartitions: must be at least partitions \(8\)$/,
    );
  });

  test('refuses a worker that names no function of the service, listing those that exist', () => {
    assert.throws(
      () => resolveDefinition('montecarlo', { ...montecarlo, worker: 'simulat' }, service),
      /^ConfigError: custom\.tascaas\.montecarlo\.worker: names no function of this service: "simulat" \(functions: simulate, other\)$/,
    );
  });

  test('refuses job names that are not a letter then letters, digits and "-"', () => {
    for (const name of ['1job', 'my_job', 'a.b']) {
      assert.throws(
        () => resolveDefinition(name, montecarlo),
        new RegExp(`^ConfigError: custom\\.tascaas\\.${name.replace('.', '\\.')}: job names`),
      );
    }
    assert.equal(resolveDefinition('Monte-Carlo2', montecarlo).name, 'Monte-Carlo2');
  });

  test('requires results, and names a bad bucket', () => {
    assert.throws(
      () => resolveDefinition('j', {} as never),
      /^ConfigError: custom\.tascaas\.j\.results: required$/,
    );
    assert.throws(
      () => resolveDefinition('j', { results: 'Bad_Bucket/x' }),
      /^ConfigError: custom\.tascaas\.j\.results: invalid bucket name "Bad_Bucket"/,
    );
  });
});

describe('durations', () => {
  test('read 20s, 5m, 1h and plain seconds, rounding up to whole seconds', () => {
    assert.equal(parseDuration('20s', 'p'), 20);
    assert.equal(parseDuration('5m', 'p'), 300);
    assert.equal(parseDuration('1h', 'p'), 3600);
    assert.equal(parseDuration(' 1.5m ', 'p'), 90);
    assert.equal(parseDuration(45, 'p'), 45);
    assert.equal(parseDuration('30', 'p'), 30);
    assert.equal(parseDuration(0.2, 'p'), 1);
  });

  test('refuse anything else, naming the path', () => {
    for (const value of ['soon', '5d', '-3s', 0, '']) {
      assert.throws(
        () => parseDuration(value, 'custom.tascaas.j.reportInterval'),
        /^ConfigError: custom\.tascaas\.j\.reportInterval: invalid duration/,
      );
    }
  });
});

describe('secret references', () => {
  test('an SSM parameter by name or ARN, a Secrets Manager secret by name or ARN', () => {
    assert.deepEqual(parseSecretSetting('ssm:/tascaas/secret', 'p'), {
      source: 'ssm',
      name: '/tascaas/secret',
    });
    const ssmArn = 'arn:aws:ssm:eu-west-1:123456789012:parameter/tascaas/secret';
    assert.deepEqual(parseSecretSetting(`ssm:${ssmArn}`, 'p'), { source: 'ssm', name: ssmArn, arn: ssmArn });
    assert.deepEqual(parseSecretSetting('secretsmanager:tascaas/secret', 'p'), {
      source: 'secretsmanager',
      id: 'tascaas/secret',
    });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tascaas-AbCdEf';
    assert.deepEqual(parseSecretSetting(`secretsmanager:${arn}`, 'p'), {
      source: 'secretsmanager',
      id: arn,
      arn,
    });
  });

  test('refuse other sources and malformed names, naming the path', () => {
    assert.throws(
      () => parseSecretSetting('vault:x', 'custom.tascaas.j.secret'),
      /^ConfigError: custom\.tascaas\.j\.secret: unknown secret source "vault"/,
    );
    assert.throws(
      () => parseSecretSetting('ssm:has space', 'custom.tascaas.j.secret'),
      /^ConfigError: custom\.tascaas\.j\.secret: "has space" is not an SSM parameter/,
    );
  });
});

describe('custom.tascaas as a whole', () => {
  test('no block: no definitions, the default scale time and a generated secret', () => {
    assert.deepEqual(resolveSettings(undefined), {
      definitions: [],
      scaleTime: 300,
      secret: { source: 'generated' },
    });
  });

  test('resolves every block in order, and resolveDefinitions gives their definitions', () => {
    const config = { montecarlo, pi: { results: 'results-bucket/pi/' } };
    assert.deepEqual(
      resolveDefinitions(config).map((d) => d.name),
      ['montecarlo', 'pi'],
    );
  });

  test('scaleTime and secret are the one API’s: blocks that set them must agree', () => {
    const settings = resolveSettings({
      a: { results: 'r-bucket/a/', scaleTime: '5m', secret: 'ssm:/tascaas/secret' },
      b: { results: 'r-bucket/b/', scaleTime: 300 },
      c: { results: 'r-bucket/c/', secret: 'ssm:/tascaas/secret' },
    });
    assert.equal(settings.scaleTime, 300);
    assert.deepEqual(settings.secret, { source: 'ssm', name: '/tascaas/secret' });
    assert.throws(
      () =>
        resolveSettings({
          a: { results: 'r-bucket/a/', scaleTime: '5m' },
          b: { results: 'r-bucket/b/', scaleTime: '1m' },
        }),
      /^ConfigError: custom\.tascaas\.b\.scaleTime: differs from custom\.tascaas\.a\.scaleTime/,
    );
    assert.throws(
      () =>
        resolveSettings({
          a: { results: 'r-bucket/a/', secret: 'ssm:/one' },
          b: { results: 'r-bucket/b/', secret: 'secretsmanager:two' },
        }),
      /^ConfigError: custom\.tascaas\.b\.secret: differs from custom\.tascaas\.a\.secret/,
    );
  });

  test('refuses a scale time whose lease would pass SQS’s 12 hours', () => {
    assert.throws(
      () => resolveSettings({ a: { ...montecarlo, scaleTime: '7h' } }),
      /^ConfigError: custom\.tascaas\.a\.scaleTime: must be at most 6h/,
    );
  });

  test('refuses overlapping inputs or results across blocks: S3 takes one notification per object', () => {
    assert.throws(
      () =>
        resolveSettings({
          a: { results: 'r-bucket/a/', input: 'in-bucket/jobs/' },
          b: { results: 'r-bucket/b/', input: 'in-bucket/jobs/b/' },
        }),
      /^ConfigError: custom\.tascaas\.b\.input: overlaps the input of job a/,
    );
    assert.throws(
      () => resolveSettings({ a: { results: 'r-bucket/' }, b: { results: 'r-bucket/b/' } }),
      /^ConfigError: custom\.tascaas\.b\.results: overlaps the results of job a/,
    );
  });

  test('refuses a block that is not an object, and custom.tascaas that is not one', () => {
    assert.throws(() => resolveSettings({ a: 'x' }), /^ConfigError: custom\.tascaas\.a: must be an object$/);
    assert.throws(() => resolveSettings([]), /^ConfigError: custom\.tascaas: must be an object of jobs/);
  });

  test('overlaps: same bucket and one prefix inside the other', () => {
    assert.ok(overlaps({ bucket: 'b', prefix: 'a/' }, { bucket: 'b', prefix: 'a/x/' }));
    assert.ok(!overlaps({ bucket: 'b', prefix: 'a/' }, { bucket: 'b', prefix: 'ab/' }));
    assert.ok(!overlaps({ bucket: 'b', prefix: '' }, { bucket: 'c', prefix: '' }));
  });
});
