// The trigger graph across a service's functions and jobs: which outputs start which inputs, and the loops.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/errors';
import {
  checkPublishedTriggers,
  checkTriggerCycles,
  findTriggerCycles,
  publishTriggerUnits,
  resolveBinding,
  type TriggerUnit,
} from '../src/functions';

/** A container function `functions.<name>` with `in`/`out` as `bucket/prefix[:suffix,suffix]`. */
function fn(name: string, inputs: string[], outputs: string[], source?: string): TriggerUnit {
  const bindings = (kind: 'input' | 'output', specs: string[]) =>
    specs.map((spec, i) => {
      const [path, suffixes] = spec.split(':');
      const path_ = `functions.${name}.${kind}[${i}]`;
      const suffix = suffixes ? suffixes.split(',') : undefined;
      return { path: path_, binding: resolveBinding({ storage: 's3', path: path!, suffix }, path_) };
    });
  return {
    path: `functions.${name}`,
    ...(source ? { source } : {}),
    inputs: bindings('input', inputs),
    outputs: bindings('output', outputs),
  };
}

function loopError(units: TriggerUnit[]): string {
  try {
    checkTriggerCycles(units);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('expected a trigger loop');
}

describe('trigger loops across functions', () => {
  test('two functions that feed each other are a loop, named hop by hop', () => {
    assert.equal(
      loopError([fn('b', ['bkt/b'], ['bkt/a']), fn('a', ['bkt/a'], ['bkt/b'])]),
      'functions.a.output[0]: starts a trigger loop: functions.a.output[0] (bkt/b) -> functions.b.input[0] (bkt/b) -> ' +
        'functions.b.output[0] (bkt/a) -> functions.a.input[0] (bkt/a) -> back to functions.a: ' +
        'every object written there would start the loop again, without end ' +
        '(write one output of each loop where no input of the loop listens: another bucket, or a prefix outside the inputs)',
    );
  });

  test('a loop through three functions names all three, and an imported one says where it came from', () => {
    const message = loopError([
      fn('resize', ['media/raw'], ['media/small']),
      fn('tag', ['media/small'], ['media/tagged'], 'scar/tag.yaml functions.aws[0].lambda'),
      fn('publish', ['media/tagged'], ['media/raw/again']),
    ]);
    assert.match(
      message,
      /^functions\.publish\.output\[0\]: starts a trigger loop: functions\.publish\.output\[0\] \(media\/raw\/again\) -> functions\.resize\.input\[0\] \(media\/raw\) -> functions\.resize\.output\[0\] \(media\/small\) -> functions\.tag\.input\[0\] \(media\/small\) \[imported from scar\/tag\.yaml functions\.aws\[0\]\.lambda\] -> functions\.tag\.output\[0\] \(media\/tagged\) -> functions\.publish\.input\[0\] \(media\/tagged\) -> back to functions\.publish:/,
    );
  });

  test('a chain in one bucket whose suffixes never meet is no loop', () => {
    const units = [
      fn('split', ['bkt/in:.mp4'], ['bkt/work:.avi']),
      fn('detect', ['bkt/work:.avi'], ['bkt/in:.json']),
    ];
    assert.deepEqual(findTriggerCycles(units), []);
    checkTriggerCycles(units);
  });

  test("a function's own loop is still caught", () => {
    assert.match(
      loopError([fn('thumb', ['bkt'], ['bkt/out'])]),
      /^functions\.thumb\.output\[0\]: starts a trigger loop: functions\.thumb\.output\[0\] \(bkt\/out\) -> functions\.thumb\.input\[0\] \(bkt \(the whole bucket\)\) -> back to functions\.thumb:/,
    );
  });

  test('two separate loops are both reported; a function that only feeds a loop is not in it', () => {
    const cycles = findTriggerCycles([
      fn('a', ['x/a'], ['x/b']),
      fn('b', ['x/b'], ['x/a']),
      fn('c', ['y/c'], ['y/d']),
      fn('d', ['y/d'], ['y/c']),
      fn('feeder', ['z/in'], ['x/a']),
    ]);
    assert.deepEqual(
      cycles.map((cycle) => cycle.map((edge) => edge.from.path)),
      [
        ['functions.a', 'functions.b'],
        ['functions.c', 'functions.d'],
      ],
    );
  });

  test('units published by separate plugins on one framework instance are checked together, the same way twice', () => {
    const serverless = {};
    publishTriggerUnits(serverless, 'mapreduce', [
      {
        path: 'custom.mapreduce.wc',
        inputs: [
          {
            path: 'custom.mapreduce.wc.input',
            binding: resolveBinding({ storage: 's3', path: 'b/in' }, 'x'),
          },
        ],
        outputs: [
          {
            path: 'custom.mapreduce.wc.output',
            binding: resolveBinding({ storage: 's3', path: 'b/out' }, 'x'),
          },
        ],
      },
    ]);
    checkPublishedTriggers(serverless);
    publishTriggerUnits(serverless, 'container-lambda', [fn('publish', ['b/out'], ['b/in'])]);
    assert.throws(() => checkPublishedTriggers(serverless), {
      message:
        /^custom\.mapreduce\.wc\.output: starts a trigger loop: custom\.mapreduce\.wc\.output \(b\/out\) -> functions\.publish\.input\[0\] \(b\/out\) -> functions\.publish\.output\[0\] \(b\/in\) -> custom\.mapreduce\.wc\.input \(b\/in\) -> back to custom\.mapreduce\.wc:/,
    });
    assert.throws(() => checkPublishedTriggers(serverless), { message: /starts a trigger loop/ });
  });
});
