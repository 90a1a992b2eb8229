// The in-memory state store: DynamoDB's conditional-write rules in one process, for local runs and tests.
// Every call is one synchronous step, so concurrent callers interleave only between calls, as on DynamoDB.
import {
  STATE_DEFAULTS,
  checkValues,
  type AddOptions,
  type ExpiryOption,
  type PhaseChange,
  type SetOptions,
  type StateEntry,
  type StateItem,
  type StateKey,
  type StateStore,
  type StateStoreOptions,
  type StateValue,
} from './types';

export interface MemoryStateStoreOptions extends StateStoreOptions {
  /** The clock expiry is checked against, in epoch ms (tests pass a fixed one). */
  now?: () => number;
}

type Row = Record<string, StateValue>;

/** A copy the caller may keep: later writes do not change it, nor does changing it change the store. */
function copy(row: Row, attributes?: readonly string[]): StateItem {
  const out: Row = {};
  for (const name of attributes ?? Object.keys(row)) {
    const value = row[name];
    if (value !== undefined) out[name] = value instanceof Set ? new Set(value) : value;
  }
  return out;
}

export function createMemoryStateStore(options: MemoryStateStoreOptions = {}): StateStore {
  const ttl = options.ttlAttribute ?? STATE_DEFAULTS.ttlAttribute;
  const versionOf = options.versionAttribute ?? STATE_DEFAULTS.versionAttribute;
  const now = options.now ?? Date.now;
  const partitions = new Map<string, Map<string, Row>>();

  /** The live item; one past its expiry is gone, as DynamoDB's TTL removes it (there, some time after). */
  function row(key: StateKey): Row | undefined {
    const item = partitions.get(key.partition)?.get(key.sort);
    if (item && typeof item[ttl] === 'number' && (item[ttl] as number) * 1000 <= now()) {
      partitions.get(key.partition)!.delete(key.sort);
      return undefined;
    }
    return item;
  }

  function write(key: StateKey, item: Row): void {
    let partition = partitions.get(key.partition);
    if (!partition) partitions.set(key.partition, (partition = new Map()));
    partition.set(key.sort, item);
  }

  function fresh(item: StateItem, options: ExpiryOption = {}): Row {
    checkValues(item);
    const out = copy(item) as Row;
    if (options.expiresAt !== undefined) out[ttl] = options.expiresAt;
    return out;
  }

  return {
    kind: 'memory',

    async get(key, attributes) {
      const item = row(key);
      return item && copy(item, attributes);
    },

    async put(key, item, options) {
      write(key, fresh(item, options));
    },

    async putOnce(key, item, options) {
      if (row(key)) return false;
      write(key, fresh(item, options));
      return true;
    },

    async add(key, increments, options: AddOptions = {}) {
      checkValues(increments);
      const item = row(key);
      if (options.ifExists && !item) return undefined;
      const guard = options.unlessMember;
      if (guard) {
        const set = item?.[guard.attribute];
        if (set instanceof Set && set.has(guard.member)) return undefined;
      }
      // Every type is checked before anything changes, so that a refused add changes nothing.
      const next: Row = item ?? {};
      for (const [name, by] of Object.entries(increments)) {
        const value = next[name];
        if (value !== undefined && (by instanceof Set ? !(value instanceof Set) : typeof value !== 'number'))
          throw typeMismatch(name);
      }
      for (const [name, by] of Object.entries(increments)) {
        const value = next[name];
        if (!(by instanceof Set)) next[name] = ((value as number | undefined) ?? 0) + (by as number);
        // In place: readers only ever get copies (see `copy`).
        else if (value instanceof Set) for (const member of by) value.add(member);
        else next[name] = new Set(by);
      }
      if (options.expiresAt !== undefined && next[ttl] === undefined) next[ttl] = options.expiresAt;
      if (!item) write(key, next);
      return copy(next);
    },

    async set(key, values, options: SetOptions = {}) {
      checkValues(values);
      const item = row(key);
      if (options.ifExists && !item) return false;
      if (options.unlessSet && item?.[options.unlessSet] !== undefined) return false;
      const next: Row = item ?? {};
      Object.assign(next, copy(values as Row));
      if (!item) write(key, next);
      return true;
    },

    async changePhase(key, change: PhaseChange) {
      const item = row(key);
      if (!item) return false;
      const phase = item[change.attribute];
      const retry = phase === change.to && item[change.owner.attribute] === change.owner.value;
      if (phase !== change.from && !retry) return false;
      item[change.attribute] = change.to;
      item[change.owner.attribute] = change.owner.value;
      for (const [name, value] of Object.entries(change.setIfAbsent ?? {})) {
        if (item[name] === undefined) item[name] = value;
      }
      return true;
    },

    async updateVersion(key, version, values) {
      checkValues(values);
      const item = row(key);
      const current = item?.[versionOf];
      if (version === 0 ? current !== undefined : current !== version) return false;
      const next: Row = item ?? {};
      Object.assign(next, copy(values as Row), { [versionOf]: version + 1 });
      if (!item) write(key, next);
      return true;
    },

    async list(partition, prefix = '') {
      const sorts = [...(partitions.get(partition)?.keys() ?? [])].filter((sort) => sort.startsWith(prefix));
      const out: StateEntry[] = [];
      for (const sort of sorts.sort()) {
        const item = row({ partition, sort });
        if (item) out.push({ sort, item: copy(item) });
      }
      return out;
    },
  };
}

function typeMismatch(name: string): Error {
  return new TypeError(`state attribute ${name}: cannot add a number to a set or a set to a number`);
}
