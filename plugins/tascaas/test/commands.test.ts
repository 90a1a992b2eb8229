import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSettings } from '../src/config';
import { commands } from '../src/commands/definitions';
import { integerOption } from '../src/commands/context';
import { selectDefinition, submission } from '../src/commands/submit';
import { formatSeconds, progressBar, statusLines } from '../src/commands/status';
import { programEnvironment, programOf } from '../src/commands/worker';
import type { CommandContext } from '../src/commands/context';

const settings = resolveSettings({ montecarlo: { results: 'r-bucket/m/' }, pi: { results: 'r-bucket/pi/' } });
const context = (options: CommandContext['options'], only = false): CommandContext =>
  ({
    options,
    settings: only ? { ...settings, definitions: settings.definitions.slice(0, 1) } : settings,
  }) as CommandContext;

describe('sls tascaas worker', () => {
  test('runs what follows the first --, its own -- and options included', () => {
    assert.deepEqual(
      programOf(['node', 'sls', 'tascaas', 'worker', '--slots', '2', '--', 'sim', '--slots', '9', '--', 'x']),
      {
        program: 'sim',
        args: ['--slots', '9', '--', 'x'],
      },
    );
    assert.equal(programOf(['node', 'sls', 'tascaas', 'worker', '--slots', '2']), undefined);
    assert.equal(programOf(['sls', '--']), undefined);
  });

  test('hands programs the worker’s environment without the secret', () => {
    const env = { PATH: '/bin', TASCAAS_SECRET: 's3cret', HOME: '/home/u' };
    assert.deepEqual(programEnvironment(env), { PATH: '/bin', HOME: '/home/u' });
    assert.equal(env.TASCAAS_SECRET, 's3cret', 'the worker’s own is left as it was');
  });

  test('declares --slots as required and the program nowhere (the framework must not parse it)', () => {
    const worker = commands.tascaas.commands.worker;
    assert.equal(worker.options.slots.required, true);
    assert.deepEqual(Object.keys(worker.options).sort(), [
      'endpoint',
      'local',
      'max-slots',
      'secret',
      'slots',
    ]);
  });
});

describe('sls tascaas submit', () => {
  test('names the only job when --job is left out, and refuses a guess among several', () => {
    assert.equal(selectDefinition(context({}, true)).name, 'montecarlo');
    assert.throws(
      () => selectDefinition(context({})),
      /^ConfigError: --job: required when the service has several jobs \(jobs: montecarlo, pi\)/,
    );
    assert.equal(selectDefinition(context({ job: 'pi' })).name, 'pi');
  });

  test('sends the job’s iterations, time and partitions as numbers, and its input when given', () => {
    const ctx = context({ iterations: '1000', time: '2.5', partitions: '4' });
    assert.deepEqual(submission(ctx, settings.definitions[0]!, 'seeds.txt'), {
      job: 'montecarlo',
      iterations: 1000,
      time: 2.5,
      partitions: 4,
      input: 'seeds.txt',
    });
    assert.throws(
      () => submission(context({ iterations: '10' }), settings.definitions[0]!),
      /^ConfigError: --time: required/,
    );
    assert.throws(
      () => submission(context({ iterations: '0', time: '1' }), settings.definitions[0]!),
      /--iterations: must be a whole number >= 1, got "0"/,
    );
  });

  test('whole-number options take the last of a repeated option', () => {
    assert.equal(integerOption({ slots: ['2', '3'] }, 'slots', 1), 3);
    assert.equal(integerOption({}, 'slots', 1), undefined);
    assert.throws(() => integerOption({ slots: '2.5' }, 'slots', 1), /--slots: must be a whole number >= 1/);
  });
});

describe('sls tascaas status', () => {
  test('draws done of assigned as a bar of 20 with its percentage', () => {
    assert.equal(progressBar(0, 100), '[--------------------]   0%');
    assert.equal(progressBar(50, 100), '[##########----------]  50%');
    assert.equal(progressBar(120, 100), '[####################] 100%');
    assert.equal(progressBar(5, 0), '[--------------------]   0%');
  });

  test('says durations in hours and minutes, minutes and seconds, or seconds', () => {
    assert.equal(formatSeconds(42), '42s');
    assert.equal(formatSeconds(185), '3m 05s');
    assert.equal(formatSeconds(3720), '1h 02m');
  });

  test('heads the table with the job’s state, done/iterations and ETA, and tells a failure', () => {
    const lines = statusLines({
      id: 'j1',
      job: 'pi',
      state: 'FAILED',
      iterations: 10,
      done: 4,
      eta: null,
      failed: 'partition 1 failed after 3 attempts',
      partitions: [{ index: 0, state: 'finished', done: 4, assigned: 5, attempts: 1 }],
    });
    assert.equal(lines[0], 'Job j1 (pi): FAILED, 4/10 iterations');
    assert.equal(lines[1], 'Failed: partition 1 failed after 3 attempts');
    assert.match(lines.at(-1)!, /^0 +\[################----\] {2}80% +4\/5 +finished +1$/);
  });
});
