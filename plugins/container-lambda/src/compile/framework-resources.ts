// What the plugin changes on resources the framework compiled for a container function: its log group carries
// the function's tags, and its API method passes `X-Amz-Invocation-Type` to Lambda, as SCAR's API does.
import { normalizeName, withTags, type CfnResource, type CfnTemplate } from '@serverless-continuum/core/cfn';
import type { ResolvedContainerFunction } from '../config';
import { resourceIds } from './names';

/** The header a caller sets to `Event` for an asynchronous call; API Gateway hands it to Lambda's Invoke. */
export const INVOCATION_TYPE_HEADER = 'X-Amz-Invocation-Type';

/** The changed resources, by logical id (the plugin writes them back over the framework's). */
export function frameworkResourceChanges(
  functions: ResolvedContainerFunction[],
  template: CfnTemplate,
): Record<string, CfnResource> {
  const changes: Record<string, CfnResource> = {};
  for (const fn of functions) {
    const logGroupId = `${normalizeName(fn.name)}LogGroup`;
    const logGroup = template.Resources[logGroupId];
    if (logGroup && fn.tags) changes[logGroupId] = withTags(logGroup, fn.tags);
    if (fn.api) {
      for (const [id, method] of apiMethodsOf(template, resourceIds(fn.name).lambda)) {
        changes[id] = withInvocationTypePassedThrough(method);
      }
    }
  }
  return changes;
}

/** The `AWS::ApiGateway::Method`s whose Lambda proxy integration invokes the function `lambdaId`. */
function apiMethodsOf(template: CfnTemplate, lambdaId: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => {
    if (resource.Type !== 'AWS::ApiGateway::Method') return false;
    const integration = (resource.Properties as { Integration?: { Type?: string; Uri?: unknown } })
      .Integration;
    return (
      integration?.Type === 'AWS_PROXY' &&
      JSON.stringify(integration.Uri ?? null).includes(JSON.stringify({ 'Fn::GetAtt': [lambdaId, 'Arn'] }))
    );
  });
}

/**
 * SCAR's API maps the method's optional `X-Amz-Invocation-Type` header onto the integration request: with
 * `Event`, API Gateway invokes the function asynchronously and answers at once, without waiting for the script.
 */
function withInvocationTypePassedThrough(method: CfnResource): CfnResource {
  const properties = method.Properties as {
    RequestParameters?: Record<string, unknown>;
    Integration: Record<string, unknown> & { RequestParameters?: Record<string, unknown> };
  };
  return {
    ...method,
    Properties: {
      ...properties,
      RequestParameters: {
        ...properties.RequestParameters,
        [`method.request.header.${INVOCATION_TYPE_HEADER}`]: false,
      },
      Integration: {
        ...properties.Integration,
        RequestParameters: {
          ...properties.Integration.RequestParameters,
          [`integration.request.header.${INVOCATION_TYPE_HEADER}`]: `method.request.header.${INVOCATION_TYPE_HEADER}`,
        },
      },
    },
  };
}
