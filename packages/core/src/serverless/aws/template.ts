// The compiled CloudFormation template of an AWS service, as plugins read and extend it.
import { ContinuumError } from '../../errors';
import { PLUGIN_METADATA_KEY, type CfnResource, type CfnTemplate } from '../../cfn/types';
import type { ServerlessLike } from '../types';

export function compiledTemplate(serverless: ServerlessLike): CfnTemplate {
  const template = serverless.service.provider.compiledCloudFormationTemplate;
  if (!template)
    throw new ContinuumError('CONTINUUM_INVALID_CONFIG', 'no compiled CloudFormation template yet');
  template.Resources ??= {};
  return template;
}

/**
 * Merges resources into the compiled template, each marked with the plugin that made it;
 * a logical id that already exists is a bug, not an override.
 */
export function mergeResources(
  serverless: ServerlessLike,
  plugin: string,
  resources: Record<string, CfnResource>,
): void {
  const template = compiledTemplate(serverless);
  for (const [id, resource] of Object.entries(resources)) {
    if (template.Resources[id]) {
      throw new ContinuumError(
        'CONTINUUM_INVALID_CONFIG',
        `resource ${id} is already defined in the template`,
      );
    }
    template.Resources[id] = {
      ...resource,
      Metadata: { ...resource.Metadata, [PLUGIN_METADATA_KEY]: plugin },
    };
  }
}

/**
 * Sets CloudFormation properties the framework has no setting for on a compiled function of this service
 * (`key` as under `functions`); call from `package:compileEvents` or later, when functions are compiled.
 */
export function setFunctionProperties(
  serverless: ServerlessLike,
  key: string,
  properties: Record<string, unknown>,
): void {
  const logicalId = serverless.getProvider('aws')?.naming?.getLambdaLogicalId(key);
  const resource = logicalId ? compiledTemplate(serverless).Resources[logicalId] : undefined;
  if (!resource || resource.Type !== 'AWS::Lambda::Function') {
    throw new ContinuumError('CONTINUUM_INVALID_CONFIG', `function ${key} is not in the compiled template`);
  }
  resource.Properties = { ...resource.Properties, ...properties };
}

export function mergeOutputs(serverless: ServerlessLike, outputs: Record<string, unknown>): void {
  const template = compiledTemplate(serverless);
  template.Outputs = { ...(template.Outputs ?? {}), ...outputs };
}
