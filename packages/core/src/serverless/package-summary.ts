// What a plugin added to the packaged template, told offline after `sls package`: one line per plugin, and
// with --verbose each resource with its type. Resources merged through `mergeResources` carry the plugin's
// name in their Metadata; functions a plugin adds to `functions:` are compiled by the framework, so the
// plugin names them.
import { PLUGIN_METADATA_KEY, type CfnTemplate } from '../cfn/types';
import type { PluginUtils } from './utils';
import type { ServerlessLike } from './types';

export interface AddedResource {
  logicalId: string;
  type: string;
}

/** The resources of `template` made by `plugin`: its own, and the compiled Lambdas of `functionIds`. */
export function pluginResources(
  template: CfnTemplate,
  plugin: string,
  functionIds: readonly string[] = [],
): AddedResource[] {
  const functions = new Set(functionIds);
  return Object.entries(template.Resources ?? {})
    .filter(
      ([id, resource]) =>
        resource.Metadata?.[PLUGIN_METADATA_KEY] === plugin ||
        (functions.has(id) && resource.Type === 'AWS::Lambda::Function'),
    )
    .map(([logicalId, resource]) => ({ logicalId, type: resource.Type }));
}

/** The kinds a user asks about first, in the order the line tells them. */
const KINDS: Array<[type: string, one: string, many: string]> = [
  ['AWS::Lambda::Function', 'function', 'functions'],
  ['AWS::DynamoDB::Table', 'table', 'tables'],
  ['AWS::SQS::Queue', 'queue', 'queues'],
  ['AWS::S3::Bucket', 'bucket', 'buckets'],
  ['AWS::IAM::Role', 'role', 'roles'],
];

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** `mapreduce added 3 functions, 1 table, 3 roles and 5 other resources`; undefined when it added nothing. */
export function summaryLine(plugin: string, resources: readonly AddedResource[]): string | undefined {
  if (!resources.length) return undefined;
  const parts: string[] = [];
  for (const [type, one, many] of KINDS) {
    const n = resources.filter((r) => r.type === type).length;
    if (n) parts.push(count(n, one, many));
  }
  const others = resources.filter((r) => !KINDS.some(([type]) => type === r.type)).length;
  if (others) parts.push(count(others, 'other resource', 'other resources'));
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
  return `${plugin} added ${list}`;
}

/** One line per resource: logical id and type in columns, sorted by type then id. */
export function resourceLines(resources: readonly AddedResource[]): string[] {
  const width = Math.max(...resources.map((r) => r.logicalId.length));
  return [...resources]
    .sort((a, b) => a.type.localeCompare(b.type) || a.logicalId.localeCompare(b.logicalId))
    .map((r) => `  ${r.logicalId.padEnd(width)}  ${r.type}`);
}

/**
 * Tells what `plugin` added to the packaged template (call it from `after:package:finalize`): the summary as
 * a notice, each resource at verbose level (`sls package --verbose`). `functions` are keys under `functions:`.
 */
export function reportPackagedResources(
  serverless: ServerlessLike,
  utils: PluginUtils,
  plugin: string,
  functions: readonly string[] = [],
): void {
  const template = serverless.service.provider.compiledCloudFormationTemplate;
  if (!template) return;
  const naming = serverless.getProvider('aws')?.naming;
  const functionIds = naming ? functions.map((key) => naming.getLambdaLogicalId(key)) : [];
  const resources = pluginResources(template, plugin, functionIds);
  const line = summaryLine(plugin, resources);
  if (!line) return;
  const verbose = serverless.processedInput?.options?.verbose === true;
  utils.log.notice(verbose ? `${line}:` : `${line} (sls package --verbose lists them)`);
  for (const text of resourceLines(resources)) utils.log.verbose(text);
}
