// Handing an event to AWS Batch: the job name rules and the SubmitJob request, behind a small interface.
import { ENV } from './contract';

type ContainerOverrides = { environment: { name: string; value: string }[] };

export interface SubmitJobRequest {
  jobName: string;
  jobQueue: string;
  jobDefinition: string;
  containerOverrides?: ContainerOverrides;
  /** A multi-node parallel job takes its overrides per node range instead. */
  nodeOverrides?: {
    nodePropertyOverrides: { targetNodes: string; containerOverrides: ContainerOverrides }[];
  };
}

/** The one Batch call the supervisor makes; the real adapter wraps `@aws-sdk/client-batch`. */
export interface BatchSubmitter {
  submitJob(request: SubmitJobRequest): Promise<{ jobId: string; jobName: string }>;
}

/** Batch job names: up to 128 letters, digits, hyphens and underscores, starting with a letter or digit. */
export function batchJobName(functionName: string, requestId: string): string {
  let name = `${functionName}-${requestId}`.replace(/[^A-Za-z0-9_-]+/g, '-');
  if (!/^[A-Za-z0-9]/.test(name)) name = `job${name}`;
  return name.slice(0, 128);
}

export function submitJobRequest(options: {
  functionName: string;
  requestId: string;
  jobQueue: string;
  jobDefinition: string;
  event: unknown;
  /** The job definition is multi-node parallel: every node gets the event (only the main node takes its input). */
  multiNode?: boolean;
}): SubmitJobRequest {
  const overrides: ContainerOverrides = {
    environment: [
      { name: ENV.mode, value: 'batch' },
      { name: ENV.event, value: JSON.stringify(options.event) },
      { name: ENV.requestId, value: options.requestId },
    ],
  };
  return {
    jobName: batchJobName(options.functionName, options.requestId),
    jobQueue: options.jobQueue,
    jobDefinition: options.jobDefinition,
    ...(options.multiNode
      ? { nodeOverrides: { nodePropertyOverrides: [{ targetNodes: '0:', containerOverrides: overrides }] } }
      : { containerOverrides: overrides }),
  };
}
