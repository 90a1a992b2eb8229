// One behavioural specification of the StateStore interface, run against both adapters: `dynamo` through the
// AWS SDK against dynalite (DynamoDB in memory, on loopback), and `memory`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  createDynamoStateStore,
  createMemoryStateStore,
  type StateStore,
} from '@serverless-continuum/core/state';
import {
  createStateTable,
  dynamoClientConfig,
  startDynalite,
  type LocalService,
} from '../../../test/harness/services';

interface Adapter {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  store(): StateStore;
}

let dynalite: LocalService | undefined;
let client: DynamoDBClient | undefined;
let dynamoStore: StateStore | undefined;

const adapters: Adapter[] = [
  {
    name: 'dynamo (dynalite)',
    async setUp() {
      dynalite = await startDynalite();
      client = new DynamoDBClient(dynamoClientConfig(dynalite.endpoint));
      await createStateTable(client, 'state');
      dynamoStore = createDynamoStateStore({ client, table: 'state' });
    },
    async tearDown() {
      client?.destroy();
      await dynalite?.close();
    },
    store: () => dynamoStore!,
  },
  (() => {
    const store = createMemoryStateStore();
    return { name: 'memory', setUp: async () => {}, tearDown: async () => {}, store: () => store };
  })(),
];

let partitions = 0;
/** A partition no other test has written to. */
const fresh = (): string => `p${++partitions}`;
const at = (partition: string, sort = 'item') => ({ partition, sort });

for (const adapter of adapters) {
  describe(`${adapter.name} state store`, () => {
    before(() => adapter.setUp());
    after(() => adapter.tearDown());
    const store = () => adapter.store();

    test('reads back what was put, every kind of value, without the key; a missing item is undefined', async () => {
      const key = at(fresh());
      await store().put(key, { name: 'wordcount', splits: 3, big: true, done: new Set([2, 0]) });
      assert.deepEqual(await store().get(key), {
        name: 'wordcount',
        splits: 3,
        big: true,
        done: new Set([0, 2]),
      });
      assert.deepEqual(await store().get(key, ['splits', 'absent']), { splits: 3 });
      assert.equal(await store().get(at(key.partition, 'other')), undefined);
    });

    test('a put replaces the whole item', async () => {
      const key = at(fresh());
      await store().put(key, { a: 1, b: 'x' });
      await store().put(key, { a: 2 });
      assert.deepEqual(await store().get(key), { a: 2 });
    });

    test('write-once: of many concurrent puts of one item exactly one is written', async () => {
      const key = at(fresh());
      const wrote = await Promise.all(['a', 'b', 'c', 'd'].map((by) => store().putOnce(key, { by })));
      assert.equal(wrote.filter(Boolean).length, 1);
      assert.deepEqual(await store().get(key), { by: ['a', 'b', 'c', 'd'][wrote.indexOf(true)]! });
      assert.equal(await store().putOnce(key, { by: 'late' }), false);
    });

    test('atomic counter: concurrent adds are all counted, and each gets the whole item as it is after its add', async () => {
      const key = at(fresh());
      await store().put(key, { name: 'run', count: 0 });
      const after = await Promise.all([1, 2, 3, 4, 5].map(() => store().add(key, { count: 1 })));
      assert.deepEqual(after.map((item) => item?.count).sort(), [1, 2, 3, 4, 5]);
      assert.equal(after[0]?.name, 'run');
      assert.deepEqual(await store().add(key, { count: 10, other: 2, seen: new Set([7]) }), {
        name: 'run',
        count: 15,
        other: 2,
        seen: new Set([7]),
      });
    });

    test('an add creates a missing item, unless it must exist', async () => {
      const key = at(fresh());
      assert.equal(await store().add(key, { n: 1 }, { ifExists: true }), undefined);
      assert.equal(await store().get(key), undefined);
      assert.deepEqual(await store().add(key, { n: 1 }), { n: 1 });
      assert.deepEqual(await store().add(key, { n: 1 }, { ifExists: true }), { n: 2 });
    });

    test('claim a set member once: of concurrent adds of one member exactly one gets the item back', async () => {
      const key = at(fresh());
      const claims = await Promise.all(
        [4, 4, 4, 9].map((member) =>
          store().add(
            key,
            { claimed: new Set([member]), claims: 1 },
            { unlessMember: { attribute: 'claimed', member } },
          ),
        ),
      );
      assert.equal(claims.filter((item) => item !== undefined).length, 2);
      assert.deepEqual(await store().get(key), { claimed: new Set([4, 9]), claims: 2 });
    });

    test('claim an attribute once: the first caller sets it, later ones are refused; never on a missing item', async () => {
      const key = at(fresh());
      assert.equal(
        await store().set(key, { watcher: true }, { ifExists: true, unlessSet: 'watcher' }),
        false,
      );
      await store().put(key, { name: 'run' });
      const claims = await Promise.all(
        [1, 2, 3].map(() => store().set(key, { watcher: true }, { unlessSet: 'watcher' })),
      );
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(await store().set(key, { launched: true }, { ifExists: true }), true);
      assert.deepEqual(await store().get(key), { name: 'run', watcher: true, launched: true });
    });

    test('phase change: of many concurrent owners exactly one moves the phase; a retry of that owner passes again', async () => {
      const key = at(fresh());
      await store().put(key, { phase: 'map' });
      const change = (owner: string, startedAt: string) =>
        store().changePhase(key, {
          attribute: 'phase',
          from: 'map',
          to: 'reduce',
          owner: { attribute: 'owner_reduce', value: owner },
          setIfAbsent: { startedAt },
        });
      const owners = ['a', 'b', 'c', 'd', 'e'];
      const won = await Promise.all(owners.map((owner) => change(owner, 'first')));
      assert.equal(won.filter(Boolean).length, 1);
      const winner = owners[won.indexOf(true)]!;
      assert.equal(await change(winner, 'retry'), true);
      assert.equal(await change('z', 'late'), false);
      assert.deepEqual(await store().get(key), { phase: 'reduce', owner_reduce: winner, startedAt: 'first' });
      assert.equal(
        await store().changePhase(at(key.partition, 'missing'), {
          attribute: 'phase',
          from: 'map',
          to: 'reduce',
          owner: { attribute: 'owner_reduce', value: 'a' },
        }),
        false,
      );
    });

    test('optimistic update: a write from a stale version is refused, the current one moves the version on', async () => {
      const key = at(fresh());
      assert.equal(await store().updateVersion(key, 0, { state: 'new' }), true);
      assert.equal(await store().updateVersion(key, 0, { state: 'again' }), false);
      const writes = await Promise.all(
        ['x', 'y', 'z'].map((state) => store().updateVersion(key, 1, { state })),
      );
      assert.equal(writes.filter(Boolean).length, 1);
      const item = await store().get(key);
      assert.equal(item?.version, 2);
      assert.equal(item?.state, ['x', 'y', 'z'][writes.indexOf(true)]);
      assert.equal(await store().updateVersion(key, 1, { state: 'stale' }), false);
    });

    test('expiry: a put carries it in the TTL attribute; an add sets it on the first write only', async () => {
      const partition = fresh();
      const later = Math.floor(Date.now() / 1000) + 3600;
      await store().put(at(partition, 'a'), { n: 1 }, { expiresAt: later });
      assert.deepEqual(await store().get(at(partition, 'a')), { n: 1, expiresAt: later });
      assert.equal(await store().putOnce(at(partition, 'b'), { n: 1 }, { expiresAt: later }), true);
      assert.equal((await store().get(at(partition, 'b')))?.expiresAt, later);
      await store().add(at(partition, 'c'), { n: 1 }, { expiresAt: later });
      assert.deepEqual(await store().add(at(partition, 'c'), { n: 1 }, { expiresAt: later + 60 }), {
        n: 2,
        expiresAt: later,
      });
    });

    test("lists a partition's items in sort order, by prefix, past DynamoDB's 1 MB page", async () => {
      const partition = fresh();
      // Twelve items of 100 KB: more than one page of a Query.
      const filler = 'x'.repeat(100 * 1024);
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store().put(at(partition, `split#${String(11 - i).padStart(3, '0')}`), { i: 11 - i, filler }),
        ),
      );
      await store().put(at(partition, 'run'), { name: 'run' });
      await store().put(at(fresh(), 'split#000'), { other: true });
      const splits = await store().list(partition, 'split#');
      assert.deepEqual(
        splits.map((entry) => [entry.sort, entry.item.i]),
        Array.from({ length: 12 }, (_, i) => [`split#${String(i).padStart(3, '0')}`, i]),
      );
      assert.equal((await store().list(partition)).length, 13);
      assert.deepEqual(await store().list(partition, 'none#'), []);
    });

    test('refuses, before writing, a value DynamoDB cannot store', async () => {
      const key = at(fresh());
      await assert.rejects(store().put(key, { done: new Set() }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONTINUUM_STATE');
        assert.match(error.message, /state attribute done: .*non-empty set/);
        return true;
      });
      assert.equal(await store().get(key), undefined);
    });
  });
}

test('memory: an item past its expiry is gone from reads, lists and conditions, as DynamoDB TTL removes it', async () => {
  let now = 1_000_000_000_000;
  const store = createMemoryStateStore({ now: () => now });
  const key = { partition: 'p', sort: 'a' };
  await store.put(key, { n: 1 }, { expiresAt: now / 1000 + 60 });
  assert.deepEqual(await store.get(key), { n: 1, expiresAt: now / 1000 + 60 });
  now += 60_000;
  assert.equal(await store.get(key), undefined);
  assert.deepEqual(await store.list('p'), []);
  assert.equal(await store.putOnce(key, { n: 2 }), true);
});
