// Keys and values between the phases: canonical JSON encoding of keys, the stable partition hash,
// the deterministic key order inside a part, and the output line formats.

/**
 * Canonical JSON of a key: object members sorted by name, so equal keys always encode equally.
 * Throws on values JSON cannot represent faithfully (undefined, functions, NaN, Infinity, bigint).
 */
export function encodeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number') {
    if (!Number.isFinite(key)) throw new TypeError(`a key must be JSON-serializable, got ${key}`);
    return JSON.stringify(key);
  }
  if (typeof key === 'boolean' || key === null) return JSON.stringify(key);
  if (Array.isArray(key)) return `[${key.map(encodeKey).join(',')}]`;
  if (typeof key === 'object') {
    const names = Object.keys(key).sort();
    const obj = key as Record<string, unknown>;
    return `{${names.map((n) => `${JSON.stringify(n)}:${encodeKey(obj[n])}`).join(',')}}`;
  }
  throw new TypeError(`a key must be JSON-serializable, got ${typeof key}`);
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

/** One line of a part: TSV `key<TAB>value` (strings as they are, anything else as JSON) or JSONL `[key, value]`. */
export function formatOutputLine(
  key: unknown,
  value: unknown,
  format: 'tsv' | 'jsonl',
  encodedKey?: string,
): string {
  if (format === 'jsonl') return `[${encodedKey ?? encodeKey(key)},${encodeValue(value)}]\n`;
  const k = typeof key === 'string' ? key : (encodedKey ?? encodeKey(key));
  const v = typeof value === 'string' ? value : encodeValue(value);
  return `${k}\t${v}\n`;
}

/** Part object names: `part-00000`. */
export function partName(partition: number): string {
  return `part-${String(partition).padStart(5, '0')}`;
}
