// What compileService needs of the service after the framework compiled its functions: the image uri it
// resolved for each, the provider role's grants (a function role of ours must keep them), and which
// functions it put in a VPC.
import { inVpc, type CfnTemplate } from '@serverless-continuum/core/cfn';
import { providerIam, type ServerlessProviderConfig } from '@serverless-continuum/core/serverless';
import type { ResolvedContainerFunction } from '../config';
import type { CompileOptions } from './index';
import { resourceIds } from './names';

export function compileOptions(
  functions: ResolvedContainerFunction[],
  template: CfnTemplate,
  provider: ServerlessProviderConfig,
  managedRoles: Set<string>,
): CompileOptions {
  const imageUris: CompileOptions['imageUris'] = {};
  for (const fn of functions) {
    const lambda = template.Resources[resourceIds(fn.name).lambda];
    const code = (lambda?.Properties as { Code?: { ImageUri?: unknown } } | undefined)?.Code;
    if (code?.ImageUri !== undefined) imageUris[fn.name] = code.ImageUri as string;
  }
  const iam = providerIam(provider);
  return {
    imageUris,
    managedRoles,
    providerStatements: iam.statements,
    providerManagedPolicies: iam.managedPolicies,
    vpcFunctions: new Set(
      functions.map((fn) => fn.name).filter((name) => inVpc(template, resourceIds(name).lambda)),
    ),
  };
}
