// Plain CloudFormation shapes: what every builder returns and what the framework's template holds.

/** Any CloudFormation value: a literal or an intrinsic function such as `{ Ref }` or `{ 'Fn::GetAtt' }`. */
export type CfnValue<T = string> = T | CfnIntrinsic;
export type CfnIntrinsic =
  | { Ref: string }
  | { 'Fn::GetAtt': [string, string] }
  | { 'Fn::Sub': string | [string, Record<string, unknown>] }
  | { 'Fn::Join': [string, unknown[]] }
  | { 'Fn::ImportValue': unknown }
  | { 'Fn::If': [string, unknown, unknown] }
  | { 'Fn::Select': [number, unknown] };

export interface CfnResource<P extends object = Record<string, unknown>> {
  Type: string;
  Properties?: P;
  DependsOn?: string | string[];
  DeletionPolicy?: 'Delete' | 'Retain' | 'Snapshot';
  UpdateReplacePolicy?: 'Delete' | 'Retain' | 'Snapshot';
  Condition?: string;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
}

export const ref = (logicalId: string): { Ref: string } => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string): { 'Fn::GetAtt': [string, string] } => ({
  'Fn::GetAtt': [logicalId, attribute],
});
export const sub = (
  template: string,
  vars?: Record<string, unknown>,
): { 'Fn::Sub': string | [string, Record<string, unknown>] } =>
  vars ? { 'Fn::Sub': [template, vars] } : { 'Fn::Sub': template };

/** Metadata key naming the plugin that emitted a resource (`npm run resources` groups by it). */
export const PLUGIN_METADATA_KEY = 'serverless-continuum:plugin';
