// `sls container run --existing`: which objects of the input go to the function (those an upload would have
// started it for), how --prefix narrows the listing, how many calls run at once, and what the summary says.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResolvedBinding } from '@serverless-continuum/core/functions';
import {
  eachLimited,
  existingSummary,
  listingPrefix,
  progressBar,
  triggerMatches,
} from '../../src/commands/run-existing';

const binding = (over: Partial<ResolvedBinding> = {}): ResolvedBinding => ({
  storage: 's3',
  bucket: 'images',
  prefix: 'in',
  suffix: [],
  prefixFilter: [],
  existing: false,
  ...over,
});

describe('the objects --existing sends', () => {
  test("are those the input's S3 trigger would match: under its prefix, with one of its suffixes", () => {
    const input = binding({ suffix: ['.jpg', '.png'] });
    assert.equal(triggerMatches(input, 'in/a.png'), true);
    assert.equal(triggerMatches(input, 'in/deep/b.jpg'), true);
    assert.equal(triggerMatches(input, 'in/notes.txt'), false);
    assert.equal(triggerMatches(input, 'inbox/a.png'), false);
  });

  test("follow the input's prefix filters, and never folder markers", () => {
    const input = binding({ prefixFilter: ['raw/'] });
    assert.equal(triggerMatches(input, 'in/raw/a.csv'), true);
    assert.equal(triggerMatches(input, 'in/cooked/a.csv'), false);
    assert.equal(triggerMatches(binding(), 'in/raw/'), false);
    assert.equal(triggerMatches(binding({ prefix: '' }), 'anything'), true);
  });

  test('--prefix is a folder under the input, written with or without slashes', () => {
    assert.equal(listingPrefix(binding(), undefined), 'in/');
    assert.equal(listingPrefix(binding(), 'sub/'), 'in/sub/');
    assert.equal(listingPrefix(binding(), '/sub'), 'in/sub');
    assert.equal(listingPrefix(binding({ prefix: '' }), 'sub/'), 'sub/');
    assert.throws(() => listingPrefix(binding(), '../out/'), /--prefix: "..\/out\/" climbs out of the input/);
  });
});

describe('sending them', () => {
  test('runs at most the limit at once, and a failure stops none of the others', async () => {
    let running = 0;
    let most = 0;
    const settled: Array<[number, string | undefined]> = [];
    await eachLimited(
      [1, 2, 3, 4, 5, 6, 7],
      3,
      async (n) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        if (n === 2) throw new Error('refused');
      },
      (n, error) => settled.push([n, (error as Error | undefined)?.message]),
    );
    assert.equal(most, 3);
    assert.deepEqual(
      settled.sort((a, b) => a[0] - b[0]),
      [
        [1, undefined],
        [2, 'refused'],
        [3, undefined],
        [4, undefined],
        [5, undefined],
        [6, undefined],
        [7, undefined],
      ],
    );
  });

  test('the progress line shows a bar and the count', () => {
    assert.equal(progressBar(0, 4, 8), '[        ] 0/4');
    assert.equal(progressBar(1, 4, 8), '[==      ] 1/4');
    assert.equal(progressBar(4, 4, 8), '[========] 4/4');
  });

  test('the summary says how many went, how many were skipped, and names each failure by its key', () => {
    assert.deepEqual(
      existingSummary('grayify', 2, 1, [
        { object: { bucket: 'images', key: 'in/b b.jpg', size: 2 }, message: 'Rate exceeded' },
      ]),
      [
        'grayify: 2 object(s) sent to the function, as their uploads would have been',
        "1 object(s) skipped: the input's suffix or prefix filters do not match",
        '1 object(s) could not be sent:',
        '  s3://images/in/b b.jpg: Rate exceeded',
      ],
    );
    assert.deepEqual(existingSummary('grayify', 3, 0, []), [
      'grayify: 3 object(s) sent to the function, as their uploads would have been',
    ]);
  });
});
