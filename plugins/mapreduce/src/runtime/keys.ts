// Keys and values between the phases: canonical JSON encoding of keys, the stable partition hash,
// the deterministic key order inside a part, and the output line formats.
import { escapeTsvField } from './tsv';

const PLAIN_DATA =
  'a key must be JSON-serializable plain data (a string, number, boolean, null, array or plain object)';

/** What a key that is not plain data is, for the error: `a Date`, `an instance of Point`, `a function`. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object' || value === null) return `a ${typeof value}`;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
    ?.name;
  if (!name) return 'an object of no class';
  // Built-ins by their own name (a Date, a Map); anything else is some class's instance.
  return (globalThis as Record<string, unknown>)[name] === (value as object).constructor
    ? `a ${name}`
    : `an instance of ${name}`;
}

/**
 * Canonical JSON of a key: object members sorted by name, so equal keys always encode equally.
 * Throws on anything JSON would not represent faithfully: undefined, NaN, Infinity, bigints, symbols and
 * functions, and objects that are not plain (a Date, a Map, a Set, a class instance would all become `{}`
 * and merge with each other). Callers keep string keys off this path: they never need encoding checks.
 */
export function encodeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number') {
    if (!Number.isFinite(key)) throw new TypeError(`${PLAIN_DATA}, got ${key}`);
    return JSON.stringify(key);
  }
  if (typeof key === 'boolean' || key === null) return JSON.stringify(key);
  if (Array.isArray(key)) {
    // A loop, not map(): map skips holes, which would encode as `[,1]`.
    let out = '[';
    for (let i = 0; i < key.length; i++) out += `${i ? ',' : ''}${encodeKey(key[i])}`;
    return `${out}]`;
  }
  if (typeof key === 'object') {
    const proto = Object.getPrototypeOf(key) as unknown;
    if (proto !== Object.prototype && proto !== null)
      throw new TypeError(`${PLAIN_DATA}, got ${kindOf(key)}`);
    if (Object.getOwnPropertySymbols(key).length)
      throw new TypeError(`${PLAIN_DATA}, got an object with symbol-named members`);
    const names = Object.keys(key).sort();
    const obj = key as Record<string, unknown>;
    return `{${names.map((n) => `${JSON.stringify(n)}:${encodeKey(obj[n])}`).join(',')}}`;
  }
  throw new TypeError(`${PLAIN_DATA}, got ${kindOf(key)}`);
}

/** A value as stored in intermediates: JSON; `undefined` becomes `null`. */
export function encodeValue(value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? 'null' : json;
}

/** FNV-1a over the UTF-16 code units of the encoded key, finished with murmur3's avalanche: stable across runs and machines. */
export function hashEncodedKey(encoded: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < encoded.length; i++) {
    h ^= encoded.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The reducer partition of an encoded key. */
export function partitionOfEncoded(encoded: string, reducers: number): number {
  return hashEncodedKey(encoded) % reducers;
}

/** The reducer partition of a key. */
export function partitionOf(key: unknown, reducers: number): number {
  return partitionOfEncoded(encodeKey(key), reducers);
}

/**
 * The order of keys inside a part: strings by UTF-16 code units, numbers numerically, anything else by its
 * encoding; between types by the first character of the encoding (strings < numbers < arrays < booleans/null
 * < objects). A total order, so every run sorts identically.
 */
export function compareKeys(encA: string, keyA: unknown, encB: string, keyB: unknown): number {
  if (typeof keyA === 'string' && typeof keyB === 'string') return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
  if (typeof keyA === 'number' && typeof keyB === 'number') return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
  return encA < encB ? -1 : encA > encB ? 1 : 0;
}

/**
 * One line of a part: TSV `key<TAB>value` (strings as they are, anything else as JSON; each field escaped by
 * `escapeTsvField`) or JSONL `[key, value]`.
 */
export function formatOutputLine(
  key: unknown,
  value: unknown,
  format: 'tsv' | 'jsonl',
  encodedKey?: string,
): string {
  if (format === 'jsonl') return `[${encodedKey ?? encodeKey(key)},${encodeValue(value)}]\n`;
  const k = typeof key === 'string' ? key : (encodedKey ?? encodeKey(key));
  const v = typeof value === 'string' ? value : encodeValue(value);
  return `${escapeTsvField(k)}\t${escapeTsvField(v)}\n`;
}

/** Part object names: `part-00000`. */
export function partName(partition: number): string {
  return `part-${String(partition).padStart(5, '0')}`;
}
