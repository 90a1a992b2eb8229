// Reading the fragments of a packaged template that assertions look at: a resource by logical id, a role's
// policy statements.
import assert from 'node:assert/strict';
import type { CfnResource, CfnTemplate } from '@serverless-continuum/core/cfn';

// Template JSON is walked freely in assertions; a wrong path fails the assertion, not the type checker.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** The resource `id`, failing the test with the ids the template has when it is missing. */
export function resource(
  template: CfnTemplate,
  id: string,
): CfnResource & { Properties: Record<string, Json> } {
  const found = template.Resources[id];
  assert.ok(found, `no ${id} in ${Object.keys(template.Resources).join(', ')}`);
  return found as CfnResource & { Properties: Record<string, Json> };
}

/** One statement of a role's inline policy, as the template holds it. */
export interface TemplateStatement {
  Effect: string;
  Action: string[];
  Resource: Json[];
  Condition?: Json;
  [other: string]: Json;
}

/** Every statement of the inline policies of role `roleId` (none when it has no inline policy). */
export function roleStatements(template: CfnTemplate, roleId: string): TemplateStatement[] {
  return (resource(template, roleId).Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
  );
}
