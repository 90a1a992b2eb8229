// Declaring a plugin's configuration to the framework's validator, which then names every bad path.
import type { ServerlessLike } from './types';

/** Properties of each function of `provider` (`functions.<f>.<key>`). */
export function defineFunctionProperties(serverless: ServerlessLike, schema: object, provider = 'aws'): void {
  serverless.configSchemaHandler?.defineFunctionProperties(provider, schema);
}

/** Declares `custom.<key>` with its schema (the framework then validates it and names bad paths). */
export function defineCustomProperty(serverless: ServerlessLike, key: string, schema: object): void {
  serverless.configSchemaHandler?.defineCustomProperties({ type: 'object', properties: { [key]: schema } });
}

export function defineTopLevelProperty(serverless: ServerlessLike, key: string, schema: object): void {
  serverless.configSchemaHandler?.defineTopLevelProperty(key, schema);
}
