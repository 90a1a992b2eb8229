// The one state-store interface: items in partitions, changed only by conditional writes, so that concurrent
// workers agree on who did what. Adapters: `dynamo` (a DynamoDB table) and `memory` (one process, same rules).
import { ContinuumError } from '../errors';

/** What an attribute holds: DynamoDB's S, N, BOOL and NS (a set of numbers, never empty). */
export type StateValue = string | number | boolean | ReadonlySet<number>;
export type StateItem = Readonly<Record<string, StateValue>>;

/** An item's key: all items of one `partition` are listed together, in `sort` order. */
export interface StateKey {
  partition: string;
  sort: string;
}

export interface ExpiryOption {
  /**
   * When the item may be removed (epoch seconds), kept in the store's TTL attribute. A put sets it; an `add`
   * sets it only on the item's first write, so later writes do not push the expiry back.
   */
  expiresAt?: number;
}

export interface AddOptions extends ExpiryOption {
  /** Only add to an item that exists (otherwise the add creates it). */
  ifExists?: boolean;
  /** Only add while the number set `attribute` does not hold `member`: who adds a member first, once. */
  unlessMember?: { attribute: string; member: number };
}

export interface SetOptions {
  /** Only change an item that exists. */
  ifExists?: boolean;
  /** Only while the item has no attribute of this name: the first caller claims it, once. */
  unlessSet?: string;
}

/**
 * A phase change that exactly one owner makes: the item's `attribute` moves from `from` to `to`, and `owner`
 * is kept in `owner.attribute`. A retry of that same owner (the phase is `to` and the owner it) is let through
 * again, so an owner that crashed after the write may redo its work.
 */
export interface PhaseChange {
  attribute: string;
  from: string;
  to: string;
  owner: { attribute: string; value: string };
  /** Written only when the item has no such attribute yet (the first winner's start time, say). */
  setIfAbsent?: Record<string, StateValue>;
}

export interface StateEntry {
  sort: string;
  item: StateItem;
}

/**
 * Every read is strongly consistent, and a condition that does not hold is an answer (`false`, `undefined`),
 * not an error: someone else got there first. Items are given and returned without their key attributes.
 */
export interface StateStore {
  readonly kind: 'dynamo' | 'memory';
  /** The item, or only its `attributes` when given; undefined when there is none. */
  get(key: StateKey, attributes?: readonly string[]): Promise<StateItem | undefined>;
  /** Writes the whole item, replacing one that exists. */
  put(key: StateKey, item: StateItem, options?: ExpiryOption): Promise<void>;
  /** Write-once: writes the item unless one exists; false when it did. */
  putOnce(key: StateKey, item: StateItem, options?: ExpiryOption): Promise<boolean>;
  /**
   * Atomic counters: adds each number to its attribute (absent counts as 0) and each set's members to its set,
   * in one write; returns the whole item after, or undefined when a condition did not hold.
   */
  add(
    key: StateKey,
    increments: Readonly<Record<string, number | ReadonlySet<number>>>,
    options?: AddOptions,
  ): Promise<StateItem | undefined>;
  /** Sets the attributes; false when a condition did not hold. */
  set(key: StateKey, values: StateItem, options?: SetOptions): Promise<boolean>;
  /** True for exactly one owner (and its retries), see `PhaseChange`. */
  changePhase(key: StateKey, change: PhaseChange): Promise<boolean>;
  /**
   * Optimistic update: sets `values` and moves the item's `versionAttribute` from `version` to `version + 1`;
   * false when another writer moved it first (read again and retry). Version 0 is an item without a version
   * (or no item yet: the update creates it).
   */
  updateVersion(key: StateKey, version: number, values: StateItem): Promise<boolean>;
  /** Every item of `partition` whose sort key starts with `prefix`, in sort order (all pages). */
  list(partition: string, prefix?: string): Promise<StateEntry[]>;
}

export interface StateStoreOptions {
  /** The attribute that holds an item's expiry (epoch seconds): the table's TTL attribute. Default `expiresAt`. */
  ttlAttribute?: string;
  /** The attribute that holds an item's version for `updateVersion`. Default `version`. */
  versionAttribute?: string;
}

export const STATE_DEFAULTS = { ttlAttribute: 'expiresAt', versionAttribute: 'version' } as const;

/** Rejects, before anything is written, a value DynamoDB cannot store. */
export function checkValues(values: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(values)) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (value instanceof Set && value.size > 0 && [...value].every((n) => Number.isFinite(n)));
    if (!ok) {
      throw new ContinuumError(
        'CONTINUUM_STATE',
        `state attribute ${name}: a string, a finite number, a boolean or a non-empty set of numbers, not ${String(value)}`,
      );
    }
  }
}
