// The provider-neutral rules of one `functions.<name>` entry with a `container`, checked alike by every target
// (container-lambda, oscar-target) before its own: the entry's shape, the script, variable and secret names,
// the storage bindings. What a target adds (image registries, Batch, an HTTP API) stays in its plugin.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors';
import {
  describeBinding,
  outputCanTriggerInput,
  resolveBinding,
  type ContainerSpec,
  type ResolvedBinding,
  type StorageBinding,
} from './model';

/** A `functions.<name>` entry as every target reads it: the model's keys, and the framework's it refuses beside them. */
export interface FunctionConfig {
  container?: ContainerSpec;
  input?: StorageBinding[];
  output?: StorageBinding[];
  image?: unknown;
  handler?: unknown;
}

/** What a target tells the neutral rules about itself. */
export interface FunctionRules<Secret> {
  /** The service folder: a relative script is found there. */
  serviceDir: string;
  /** The target runs the image as it is, nothing is built: then the script may be absent. */
  prebuilt?: boolean;
  /** Why a built image needs the script, in the target's words (the hint when it is missing). */
  scriptHint: string;
  /** A variable the target's runtime sets itself, which the user may therefore not set. */
  isReserved: (name: string) => boolean;
  /** Reads a secret's value into what the target keeps; throws a ConfigError at `path` when it cannot. */
  secret: (value: string, path: string) => Secret;
}

/** One function after the neutral rules: what a target's own rules and compile steps start from. */
export interface ResolvedFunction<Secret> {
  /** The function's key in `functions`. */
  name: string;
  image: string;
  /** Absolute path of the user's script (absent only for a prebuilt image). */
  script?: string;
  environment: Record<string, string>;
  /** `container.secrets`: variable name -> the target's reading of where its value lives. */
  secrets: Record<string, Secret>;
  inputs: ResolvedBinding[];
  outputs: ResolvedBinding[];
}

export function isContainerFunction(fn: unknown): fn is FunctionConfig & { container: unknown } {
  return typeof fn === 'object' && fn !== null && 'container' in fn;
}

/** `functions.<name>.container.<key>` must be a string: the error names the path and what it holds. */
function stringTypeError(name: string, key: 'image' | 'script', value: unknown): ConfigError | undefined {
  if (value === undefined || typeof value === 'string') return undefined;
  const held =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'a list'
        : `the ${typeof value} ${JSON.stringify(value)}`;
  return new ConfigError(`functions.${name}.container.${key}`, `must be a string, not ${held}`, 'quote it');
}

/**
 * The string properties of every container function that hold something else. Both frameworks validate with
 * ajv's `coerceTypes`, which rewrites `image: 123` to `"123"` in the service before any hook runs, and
 * `configValidationMode: warn` lets the rest through: read the config as the user wrote it, from the
 * plugin's constructor, and refuse it later.
 */
export function nonStringProperties(functions: unknown): ConfigError[] {
  if (typeof functions !== 'object' || functions === null) return [];
  return Object.entries(functions).flatMap(([name, fn]) => {
    if (!isContainerFunction(fn) || typeof fn.container !== 'object' || fn.container === null) return [];
    const container = fn.container as Record<string, unknown>;
    return (['image', 'script'] as const).flatMap((key) => stringTypeError(name, key, container[key]) ?? []);
  });
}

/** The entry's shape: a `container` with string image and script, and no framework `image` or `handler` beside it. */
export function checkFunctionEntry(name: string, fn: FunctionConfig): ContainerSpec {
  const at = `functions.${name}`;
  const container = fn.container;
  if (!container) throw new ConfigError(`${at}.container`, 'required');
  for (const key of ['image', 'script'] as const) {
    const error = stringTypeError(name, key, container[key]);
    if (error) throw error;
  }
  if (fn.image !== undefined) {
    throw new ConfigError(
      `${at}.image`,
      'remove it',
      'a container function gets its image from container.image',
    );
  }
  if (fn.handler !== undefined) {
    throw new ConfigError(
      `${at}.handler`,
      'remove it',
      'a container function runs container.script, not a handler',
    );
  }
  return container;
}

/** Applies the neutral rules in the order a user meets them; every error names the config path and the fix. */
export function resolveFunction<Secret>(
  name: string,
  fn: FunctionConfig,
  rules: FunctionRules<Secret>,
): ResolvedFunction<Secret> {
  const at = `functions.${name}`;
  const container = checkFunctionEntry(name, fn);
  let script: string | undefined;
  if (container.script) {
    script = isAbsolute(container.script) ? container.script : resolve(rules.serviceDir, container.script);
    if (!existsSync(script)) {
      throw new ConfigError(
        `${at}.container.script`,
        `file not found: ${script}`,
        'give a path relative to the service folder',
      );
    }
  } else if (!rules.prebuilt) {
    throw new ConfigError(`${at}.container.script`, 'required to build the image', rules.scriptHint);
  }

  const environment = { ...(container.environment ?? {}) };
  for (const key of Object.keys(environment)) {
    if (rules.isReserved(key)) {
      throw new ConfigError(
        `${at}.container.environment.${key}`,
        'reserved name',
        'the supervisor sets it; pick another name',
      );
    }
  }
  const secrets = resolveSecrets(`${at}.container`, container.secrets ?? {}, environment, rules);

  const inputs = (fn.input ?? []).map((b, i) => resolveBinding(b, `${at}.input[${i}]`));
  const outputs = (fn.output ?? []).map((b, i) => resolveBinding(b, `${at}.output[${i}]`));
  inputs.forEach((input, i) =>
    outputs.forEach((output, j) => {
      if (outputCanTriggerInput(input, output)) {
        throw new ConfigError(
          `${at}.input[${i}].path`,
          `${describeBinding(input)} would be triggered by this function's own output ${describeBinding(output)} (output[${j}]): every result would run the function again`,
          `use prefixes that do not contain each other, e.g. ${input.bucket}/input and ${output.bucket}/output`,
        );
      }
    }),
  );
  return { name, image: container.image, script, environment, secrets, inputs, outputs };
}

/** Each secret goes under a name nothing else sets; what its value may be is the target's rule. */
function resolveSecrets<Secret>(
  at: string,
  secrets: Record<string, string>,
  environment: Record<string, string>,
  rules: FunctionRules<Secret>,
): Record<string, Secret> {
  const resolved: Record<string, Secret> = {};
  for (const [name, value] of Object.entries(secrets)) {
    const path = `${at}.secrets.${name}`;
    if (rules.isReserved(name))
      throw new ConfigError(path, 'reserved name', 'the supervisor sets it; pick another name');
    if (name.startsWith('CONT_VAR_')) {
      throw new ConfigError(
        path,
        'reserved name (HTTP query parameters reach the script as CONT_VAR_<name> and would override it)',
        'pick another name',
      );
    }
    if (name in environment) {
      throw new ConfigError(path, `also set in ${at}.environment.${name}`, 'keep one of them');
    }
    resolved[name] = rules.secret(value, path);
  }
  return resolved;
}

/** How a command names the functions it works on, in its errors. */
export interface FunctionWords {
  /** `is not <what>`: `a container function`, `a function of this service`. */
  what: string;
  /** Before the list of the ones there are: `container functions`. */
  listed: string;
  /** When there is none: `no function has a container`. */
  none: string;
}

/** The function `--function` names; any other name is an error listing the ones there are. */
export function commandFunctionNamed<T>(
  functions: ReadonlyMap<string, T>,
  name: string,
  words: FunctionWords,
): T {
  const fn = functions.get(name);
  if (fn !== undefined) return fn;
  const known = [...functions.keys()];
  throw new ConfigError(
    `functions.${name}`,
    `is not ${words.what}`,
    known.length ? `${words.listed}: ${known.join(', ')}` : words.none,
  );
}
