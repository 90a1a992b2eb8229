// The contract between the compile step and the supervisor: the environment variables the template sets
// on the function (and on the Batch job definition), and the shapes they carry. Nothing else reaches the runtime.
// Also the one log line the commands read back: the Batch hand-off (`sls container logs`).

/** Where the supervisor and its Node.js live inside the image. */
export const SUPERVISOR_DIR = '/opt/continuum';
export const SUPERVISOR_ENTRY = `${SUPERVISOR_DIR}/supervisor.js`;
export const SUPERVISOR_NODE = `${SUPERVISOR_DIR}/node`;
export const SCRIPT_PATH = `${SUPERVISOR_DIR}/script.sh`;

export const ENV = {
  /** Function name in the service (for messages). */
  function: 'CONTINUUM_FUNCTION',
  /** Absolute path of the user's script in the image. */
  script: 'CONTINUUM_SCRIPT',
  /** JSON `StorageBindingRuntime[]`: the inputs (for matching events and download). */
  inputs: 'CONTINUUM_INPUTS',
  /** JSON `StorageBindingRuntime[]`: the outputs (upload rules). */
  outputs: 'CONTINUUM_OUTPUTS',
  /** `lambda` | `batch` | `lambda-batch`. */
  execution: 'CONTINUUM_EXECUTION',
  /** `lambda` (default: speak the Lambda Runtime API) | `batch` (one event from CONTINUUM_EVENT, then exit) | `local`. */
  mode: 'CONTINUUM_MODE',
  /** The event, JSON, in Batch mode (set by SubmitJob container overrides). */
  event: 'CONTINUUM_EVENT',
  /** Request id of the Lambda invocation that handed the event to Batch (kept for REQUEST_ID). */
  requestId: 'CONTINUUM_REQUEST_ID',
  batchJobQueue: 'CONTINUUM_BATCH_JOB_QUEUE',
  batchJobDefinition: 'CONTINUUM_BATCH_JOB_DEFINITION',
  /** The job definition is multi-node parallel with this many nodes: the event goes to every node. */
  batchNodes: 'CONTINUUM_BATCH_NODES',
  /** lambda-batch: inputs larger than this many bytes go to Batch before running. */
  fallbackInputBytes: 'CONTINUUM_FALLBACK_INPUT_BYTES',
  /** lambda-batch: number of GPUs requested (> 0 sends every event to Batch). */
  gpu: 'CONTINUUM_GPU',
  /** lambda-batch: when this many ms remain, kill the script and hand the event to Batch. */
  deadlineMarginMs: 'CONTINUUM_DEADLINE_MARGIN_MS',
  /** Names of the user's own variables (comma separated), so the script sees exactly those plus the contract's. */
  userEnvironment: 'CONTINUUM_USER_ENV',
  /**
   * JSON `SecretsByService` of `container.secrets`: SSM parameter names or ARNs, Secrets Manager ARNs, never
   * values. Lambda mode reads the values; in Batch the job definition's `Secrets` has set them already.
   */
  secrets: 'CONTINUUM_SECRETS',
  /**
   * `gateway`: the function's API passes `X-Amz-Invocation-Type` to Lambda, so a call marked `Event` arrives
   * as an asynchronous invocation already: run it, do not hand it on to another one.
   */
  apiAsync: 'CONTINUUM_API_ASYNC',
  /**
   * JSON `StorageAccounts`: the MinIO (S3-compatible) servers the outputs name, without credentials; those are
   * `container.secrets` named by `storageSecretName`.
   */
  storageProviders: 'CONTINUUM_STORAGE_PROVIDERS',
  /** Optional S3-compatible endpoint for tests and MinIO (path-style). */
  s3Endpoint: 'CONTINUUM_S3_ENDPOINT',
  /** Optional: seconds the script may run in Batch mode (Batch's own job timeout still applies). */
  timeoutSeconds: 'CONTINUUM_TIMEOUT_SECONDS',
  /**
   * Which processes are ended after each run: `sandbox` (default: every process that was not there when the
   * supervisor started, but the supervisor and its ancestors) or `descendants` (only the script's own, for a
   * supervisor sharing a machine with other work, as in tests). Never set by the compile step.
   */
  processScope: 'CONTINUUM_PROCESS_SCOPE',
} as const;

/** A storage binding as the runtime sees it: bucket, key prefix (no leading or trailing slash), filters. */
export interface StorageBindingRuntime {
  /** Provider id as written in the config: `s3`, `s3.<id>`, `minio.<id>`. */
  storage: string;
  bucket: string;
  prefix: string;
  /** Keys must end with one of these (any, when empty). */
  suffix: string[];
  /** Relative output paths must start with one of these (any, when empty). */
  prefixFilter?: string[];
}

/** `container.secrets` as the supervisor gets them: variable name -> reference, per service. */
export interface SecretsByService {
  /** SSM parameter names or ARNs (read with GetParameter, WithDecryption). */
  ssm?: Record<string, string>;
  /** Secrets Manager secret ARNs (read with GetSecretValue). */
  secretsmanager?: Record<string, string>;
}

/** The variables SCAR's faas-supervisor gives a script; existing SCAR scripts read exactly these. */
export const SCRIPT_ENV = [
  'INPUT_FILE_PATH',
  'TMP_INPUT_DIR',
  'TMP_OUTPUT_DIR',
  'STORAGE_OBJECT_KEY',
  'EVENT',
  'EVENT_TIME',
  'REQUEST_ID',
] as const;

/**
 * What AWS Batch sets in each container of a multi-node parallel job; the supervisor passes them to the script
 * as they are (the main node's address only reaches the other nodes: Batch sets it there alone).
 */
export const BATCH_NODE_ENV = {
  nodeIndex: 'AWS_BATCH_JOB_NODE_INDEX',
  mainNodeIndex: 'AWS_BATCH_JOB_MAIN_NODE_INDEX',
  numNodes: 'AWS_BATCH_JOB_NUM_NODES',
  mainNodeAddress: 'AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS',
} as const;

/** What the supervisor answers when it hands an event to Batch. */
export interface BatchHandoff {
  delegatedTo: 'batch';
  jobId: string;
  jobName: string;
  reason: 'execution-batch' | 'input-size' | 'gpu' | 'deadline';
}

/** The `message` of the line the supervisor logs for each hand-off; `sls container logs` finds the job by it. */
export const HANDOFF_MESSAGE = 'handed to AWS Batch';

/** One JSON line (`message` first, as core's logJson writes): CloudWatch Logs Insights reads it field by field. */
export function handoffLogLine(handoff: BatchHandoff): string {
  const { reason, jobName, jobId } = handoff;
  return JSON.stringify({ message: HANDOFF_MESSAGE, reason, jobName, jobId });
}

/** The Batch job a log line tells of, when it is a hand-off line (framed by a timestamp or not). */
export function handoffOfLogLine(line: string): { jobId: string; jobName?: string } | undefined {
  const at = line.indexOf(`{"message":${JSON.stringify(HANDOFF_MESSAGE)}`);
  if (at < 0) return undefined;
  try {
    const fields = JSON.parse(line.slice(at).trim()) as Record<string, unknown>;
    if (fields.message !== HANDOFF_MESSAGE || typeof fields.jobId !== 'string' || !fields.jobId)
      return undefined;
    return {
      jobId: fields.jobId,
      ...(typeof fields.jobName === 'string' ? { jobName: fields.jobName } : {}),
    };
  } catch {
    return undefined;
  }
}

/** What the supervisor did with one record of an S3 event. */
export type RecordOutcome =
  | { bucket: string; key: string; status: 'processed'; uploaded: string[] }
  | {
      bucket: string;
      key: string;
      status: 'skipped';
      reason: 'output-binding' | 'no-input-binding' | 'folder';
    }
  | { bucket: string; key: string; status: 'delegated'; handoff: BatchHandoff };

/** The supervisor's answer to an S3 event (or any event with `Records`). */
export interface StorageEventResult {
  records: RecordOutcome[];
}

/** The supervisor's answer to an HTTP (API Gateway proxy) call: the script's stdout, base64, as SCAR's API does. */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/** A MinIO (or any S3-compatible) server an output names as `minio.<id>`: SCAR's `storage_providers.minio.<id>`. */
export interface MinioAccount {
  /** `https://host[:port]` (or `http://` on loopback, for tests). */
  endpoint: string;
  region?: string;
  /** Verify the server's TLS certificate (default true, as faas-supervisor). */
  verify?: boolean;
}

/** A WebDAV server an output names as `webdav.<id>` (faas-supervisor's `hostname`, `login`). */
export interface WebdavAccount {
  /** `https://<hostname>`. */
  url: string;
  login: string;
  verify?: boolean;
}

/** A Oneprovider an output names as `onedata.<id>` (faas-supervisor's `oneprovider_host`, `space`). */
export interface OnedataAccount {
  /** `https://<oneprovider_host>`. */
  url: string;
  space: string;
  verify?: boolean;
}

/** The storage accounts the outputs use, by type and id (`minio.lab` -> `{ minio: { lab: ... } }`). */
export interface StorageAccounts {
  minio?: Record<string, MinioAccount>;
  webdav?: Record<string, WebdavAccount>;
  onedata?: Record<string, OnedataAccount>;
}

/** The `container.secrets` variables of an account's credentials: core's one naming rule. */
export { ACCOUNT_SECRET_KEYS, storageSecretName } from '@serverless-continuum/core/storage';
