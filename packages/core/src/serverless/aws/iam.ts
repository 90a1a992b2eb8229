// What the service's `provider:` block says about the IAM role the framework makes for its functions.
import type { PolicyStatement } from '../../cfn/iam';
import type { CfnValue } from '../../cfn/types';
import type { ServerlessProviderConfig } from '../types';

export interface ProviderIam {
  /** `provider.iam.role.statements`, then the older `provider.iamRoleStatements`. */
  statements: PolicyStatement[];
  /** `provider.iam.role.managedPolicies`, then the older `provider.iamManagedPolicies`. */
  managedPolicies: CfnValue[];
  /** `provider.iam.role.permissionsBoundary`, or the older `provider.rolePermissionsBoundary`. */
  permissionsBoundary?: unknown;
}

interface ProviderRole {
  statements?: PolicyStatement[];
  managedPolicies?: CfnValue[];
  permissionsBoundary?: unknown;
}

/**
 * The provider role's settings, both spellings read: a role a plugin makes for one of the service's functions
 * must grant what the user granted every function. `provider.iam.role` given as an ARN (a role of the user's)
 * has none of them.
 */
export function providerIam(provider: ServerlessProviderConfig): ProviderIam {
  const role = provider.iam?.role;
  const settings = (typeof role === 'object' && role !== null ? role : {}) as ProviderRole;
  const boundary = settings.permissionsBoundary ?? provider.rolePermissionsBoundary;
  return {
    statements: [
      ...(settings.statements ?? []),
      ...((provider.iamRoleStatements as PolicyStatement[] | undefined) ?? []),
    ],
    managedPolicies: [
      ...(settings.managedPolicies ?? []),
      ...((provider.iamManagedPolicies as CfnValue[] | undefined) ?? []),
    ],
    ...(boundary !== undefined ? { permissionsBoundary: boundary } : {}),
  };
}
