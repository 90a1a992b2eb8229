// Tags on CloudFormation resources: each resource type takes them in its own shape (a list of Key/Value, or a
// map), and some take none. One place knows which, so a plugin can tag every resource a function brings.
import type { CfnResource } from './types';

/** Types whose `Tags` is a list of `{ Key, Value }` (as the AWS resource specification has them). */
const TAG_LIST_TYPES = new Set([
  'AWS::IAM::Role',
  'AWS::Logs::LogGroup',
  'AWS::S3::Bucket',
  'AWS::SQS::Queue',
  'AWS::DynamoDB::Table',
  'AWS::Lambda::Function',
  'AWS::ApiGateway::RestApi',
]);
/** Types whose `Tags` is a map of name to value. */
const TAG_MAP_TYPES = new Set([
  'AWS::Batch::ComputeEnvironment',
  'AWS::Batch::JobQueue',
  'AWS::Batch::JobDefinition',
]);

/** Whether `type` takes `Tags` at all (an instance profile, a permission, a bucket policy take none). */
export function takesTags(type: string): boolean {
  return TAG_LIST_TYPES.has(type) || TAG_MAP_TYPES.has(type);
}

/**
 * The resource with `tags` added to its own (a tag it already has keeps its value: the resource's own is
 * the more specific); unchanged when the type takes no tags or there are none.
 */
export function withTags(resource: CfnResource, tags: Record<string, string>): CfnResource {
  const names = Object.keys(tags).sort();
  if (!names.length || !takesTags(resource.Type)) return resource;
  const properties = { ...(resource.Properties ?? {}) } as Record<string, unknown>;
  if (TAG_MAP_TYPES.has(resource.Type)) {
    properties.Tags = { ...tags, ...((properties.Tags as Record<string, string> | undefined) ?? {}) };
  } else {
    const own = (properties.Tags as Array<{ Key: string; Value: unknown }> | undefined) ?? [];
    const ownKeys = new Set(own.map((tag) => tag.Key));
    properties.Tags = [
      ...own,
      ...names.filter((key) => !ownKeys.has(key)).map((key) => ({ Key: key, Value: tags[key]! })),
    ];
  }
  return { ...resource, Properties: properties };
}
