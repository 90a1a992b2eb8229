// The deployed service's CloudFormation stack and its outputs, read as `sls info` reads them (DescribeStacks),
// for commands that call what a deployment made (an API's URL, a generated secret's ARN).
import { ContinuumError } from '../../errors';
import type { CliOptions, ServerlessLike } from '../types';
import { awsClientConfig, regionAndStage, sdkClientSettings } from './sdk-config';

/** The framework's stack name (`<service>-<stage>` unless `provider.stackName` says otherwise). */
export function stackName(serverless: ServerlessLike, options: CliOptions = {}): string {
  const named = serverless.getProvider('aws')?.naming?.getStackName();
  if (named) return named;
  const service = serverless.service.service ?? serverless.service.getServiceName?.() ?? 'service';
  return `${service}-${regionAndStage(serverless, options).stage}`;
}

/**
 * Every output of the deployed stack, by key. CONTINUUM_AWS names the stack when it cannot be read (not
 * deployed, another region or stage, no permission), so the user knows which one was looked for.
 */
export async function stackOutputs(
  serverless: ServerlessLike,
  options: CliOptions = {},
): Promise<Record<string, string>> {
  const name = stackName(serverless, options);
  const config = await awsClientConfig(serverless, options);
  // Loaded on demand: only commands that read a deployment need CloudFormation.
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient(sdkClientSettings(config));
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: name }));
    return Object.fromEntries(
      (answer.Stacks?.[0]?.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    );
  } catch (error) {
    throw new ContinuumError(
      'CONTINUUM_AWS',
      `cannot read stack ${name} in ${config.region}: ${(error as Error).message} (deployed? --stage and --region select it)`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
