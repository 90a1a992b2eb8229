// The state store on a DynamoDB table (AWS SDK v3) whose key is a string hash key and a string range key.
// Each call is one request: GetItem, PutItem, UpdateItem (conditional) or Query, so a role's IAM policy names
// exactly these actions.
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  STATE_DEFAULTS,
  checkValues,
  type StateEntry,
  type StateItem,
  type StateKey,
  type StateStore,
  type StateStoreOptions,
  type StateValue,
} from './types';

export interface DynamoStateStoreOptions extends StateStoreOptions {
  client: DynamoDBClient;
  table: string;
  /** The table's key attributes; default `pk` (hash) and `sk` (range). */
  keyAttributes?: { partition: string; sort: string };
}

function toAttribute(value: StateValue): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  return { NS: [...value].map(String) };
}

function fromAttribute(value: AttributeValue): StateValue | undefined {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  return undefined;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException'
  );
}

/** Builds one request's expression: placeholders for every name and value, so no reserved word gets in the way. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private count = 0;

  name(attribute: string): string {
    const placeholder = `#n${this.count++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: StateValue): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = toAttribute(value);
    return placeholder;
  }

  /** The parts of a request that carry the placeholders; none when unused (DynamoDB refuses empty maps). */
  parts(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  } {
    return {
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

export function createDynamoStateStore(options: DynamoStateStoreOptions): StateStore {
  const { client, table } = options;
  const keys = options.keyAttributes ?? { partition: 'pk', sort: 'sk' };
  const ttl = options.ttlAttribute ?? STATE_DEFAULTS.ttlAttribute;
  const versionOf = options.versionAttribute ?? STATE_DEFAULTS.versionAttribute;

  const keyOf = (key: StateKey): Record<string, AttributeValue> => ({
    [keys.partition]: { S: key.partition },
    [keys.sort]: { S: key.sort },
  });

  function itemOf(attributes: Record<string, AttributeValue>): StateItem {
    const out: Record<string, StateValue> = {};
    for (const [name, attribute] of Object.entries(attributes)) {
      if (name === keys.partition || name === keys.sort) continue;
      const value = fromAttribute(attribute);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  function attributesOf(item: StateItem, expiresAt?: number): Record<string, AttributeValue> {
    checkValues(item);
    const out: Record<string, AttributeValue> = {};
    for (const [name, value] of Object.entries(item)) out[name] = toAttribute(value);
    if (expiresAt !== undefined) out[ttl] = { N: String(expiresAt) };
    return out;
  }

  /** Sends a conditional write; false when its condition did not hold. */
  async function sendIf(command: PutItemCommand | UpdateItemCommand): Promise<boolean> {
    try {
      // Two calls because the SDK's `send` is typed per command.
      if (command instanceof PutItemCommand) await client.send(command);
      else await client.send(command);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** `SET` clauses for `values`. */
  const assignments = (e: Expression, values: StateItem): string[] =>
    Object.entries(values).map(([name, value]) => `${e.name(name)} = ${e.value(value)}`);

  return {
    kind: 'dynamo',

    async get(key, attributes) {
      const e = new Expression();
      const projection = attributes?.map((name) => e.name(name)).join(', ');
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: table,
          Key: keyOf(key),
          ConsistentRead: true,
          ...(projection ? { ProjectionExpression: projection } : {}),
          ...e.parts(),
        }),
      );
      return Item && itemOf(Item);
    },

    async put(key, item, options = {}) {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...keyOf(key), ...attributesOf(item, options.expiresAt) },
        }),
      );
    },

    putOnce(key, item, options = {}) {
      const e = new Expression();
      return sendIf(
        new PutItemCommand({
          TableName: table,
          Item: { ...keyOf(key), ...attributesOf(item, options.expiresAt) },
          ConditionExpression: `attribute_not_exists(${e.name(keys.partition)})`,
          ...e.parts(),
        }),
      );
    },

    async add(key, increments, options = {}) {
      checkValues(increments);
      const e = new Expression();
      const adds = Object.entries(increments).map(([name, by]) => `${e.name(name)} ${e.value(by)}`);
      const expiry =
        options.expiresAt === undefined
          ? ''
          : ` SET ${e.name(ttl)} = if_not_exists(${e.name(ttl)}, ${e.value(options.expiresAt)})`;
      const conditions: string[] = [];
      if (options.ifExists) conditions.push(`attribute_exists(${e.name(keys.partition)})`);
      if (options.unlessMember) {
        const set = e.name(options.unlessMember.attribute);
        conditions.push(
          `(attribute_not_exists(${set}) OR NOT contains(${set}, ${e.value(options.unlessMember.member)}))`,
        );
      }
      try {
        const { Attributes } = await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keyOf(key),
            UpdateExpression: `ADD ${adds.join(', ')}${expiry}`,
            ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
            ...e.parts(),
            ReturnValues: 'ALL_NEW',
          }),
        );
        return itemOf(Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    set(key, values, options = {}) {
      checkValues(values);
      const e = new Expression();
      const conditions: string[] = [];
      if (options.ifExists) conditions.push(`attribute_exists(${e.name(keys.partition)})`);
      if (options.unlessSet) conditions.push(`attribute_not_exists(${e.name(options.unlessSet)})`);
      return sendIf(
        new UpdateItemCommand({
          TableName: table,
          Key: keyOf(key),
          UpdateExpression: `SET ${assignments(e, values).join(', ')}`,
          ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
          ...e.parts(),
        }),
      );
    },

    changePhase(key, change) {
      const e = new Expression();
      const phase = e.name(change.attribute);
      const owner = e.name(change.owner.attribute);
      const to = e.value(change.to);
      const by = e.value(change.owner.value);
      const once = Object.entries(change.setIfAbsent ?? {}).map(([name, value]) => {
        const n = e.name(name);
        return `${n} = if_not_exists(${n}, ${e.value(value)})`;
      });
      return sendIf(
        new UpdateItemCommand({
          TableName: table,
          Key: keyOf(key),
          UpdateExpression: `SET ${[`${phase} = ${to}`, `${owner} = ${by}`, ...once].join(', ')}`,
          ConditionExpression: `${phase} = ${e.value(change.from)} OR (${phase} = ${to} AND ${owner} = ${by})`,
          ...e.parts(),
        }),
      );
    },

    updateVersion(key, version, values) {
      checkValues(values);
      const e = new Expression();
      const v = e.name(versionOf);
      return sendIf(
        new UpdateItemCommand({
          TableName: table,
          Key: keyOf(key),
          UpdateExpression: `SET ${[...assignments(e, values), `${v} = ${e.value(version + 1)}`].join(', ')}`,
          ConditionExpression: version === 0 ? `attribute_not_exists(${v})` : `${v} = ${e.value(version)}`,
          ...e.parts(),
        }),
      );
    },

    async list(partition, prefix = '') {
      const e = new Expression();
      const condition = prefix
        ? `${e.name(keys.partition)} = ${e.value(partition)} AND begins_with(${e.name(keys.sort)}, ${e.value(prefix)})`
        : `${e.name(keys.partition)} = ${e.value(partition)}`;
      const out: StateEntry[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: condition,
            ConsistentRead: true,
            ...e.parts(),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) out.push({ sort: item[keys.sort]?.S ?? '', item: itemOf(item) });
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
  };
}
