// How a plugin becomes a provider of the framework (`provider: { name: oscar }`), the same under
// serverless@3 and osls: it registers itself under its name, and declares its config with the schema handler.
import type { ServerlessLike } from './types';

/** What `configSchemaHandler.defineProvider` takes: JSON-schema fragments merged into the service schema. */
export interface ProviderSchema {
  /** Properties of `provider:` besides `name` (`properties`, `required`, ...); `stage` is added if absent. */
  provider?: object;
  /** Properties of every function under `functions:`. */
  function?: object;
  /** Schemas of the events `functions.<f>.events[]` may hold, by event name. */
  functionEvents?: Record<string, object>;
  /** Shared `definitions` the fragments may `$ref`. */
  definitions?: Record<string, object>;
  /** Replaces the schema of the top-level `resources:` block. */
  resources?: object;
  /** Replaces the schema of the top-level `layers:` block. */
  layers?: object;
}

export interface ProviderRegistration {
  /** The value of `provider.name` that selects this provider. */
  name: string;
  schema?: ProviderSchema;
}

/**
 * Registers `provider` (the plugin instance, from its constructor) as the framework's provider `name`:
 * `serverless.getProvider(name)` returns it, and `provider:` and `functions:` are validated against `schema`
 * when the service names this provider (the framework ignores the schema otherwise). Give the plugin class
 * `readonly provider = name` as well: the framework then loads its hooks and commands only for services on
 * this provider.
 */
export function registerProvider(
  serverless: ServerlessLike,
  provider: object,
  { name, schema = {} }: ProviderRegistration,
): void {
  serverless.setProvider?.(name, provider);
  serverless.configSchemaHandler?.defineProvider(name, schema);
}
