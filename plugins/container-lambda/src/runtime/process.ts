// The supervisor's one processing path, shared by Lambda, Batch and the local runner: event in, script run in a
// fresh temp folder, outputs published (all of them, or none), or the event handed to Batch.
import { ContinuumError } from '@serverless-continuum/core/errors';
import type { Storage } from '@serverless-continuum/core/storage';
import {
  handoffLogLine,
  type BatchHandoff,
  type HttpResult,
  type RecordOutcome,
  type StorageEventResult,
} from './contract';
import { asContinuumError, assertScriptSucceeded, deadlineError, describeFailure } from './failures';
import {
  eventForScript,
  jsonResponse,
  queryVariables,
  textResponse,
  withoutAsyncMarker,
} from './http-answers';
import { submitJobRequest, type BatchSubmitter } from './batch';
import {
  classifyEvent,
  httpInputName,
  keyBasename,
  matchBinding,
  type HttpCall,
  type S3Record,
} from './events';
import type { PlannedUpload, ScriptResult, ScriptSweep } from '@serverless-continuum/core/local';
import { runInWorkspace } from './workspace';
import type { StorageFor } from './stores';
import type { SupervisorSettings } from './settings';

export interface ProcessDeps {
  settings: SupervisorSettings;
  storage: Storage;
  /** The store of an output binding (`minio.<id>`); `storage` when absent or for S3 (stores.ts). */
  storageFor?: StorageFor;
  /** Present where the supervisor may hand work to Batch (Lambda mode). */
  batch?: BatchSubmitter;
  /** Lambda mode: starts a new, asynchronous invocation of this function with `event`. */
  invokeAsync?: (event: unknown) => Promise<void>;
  now: () => number;
  log: (line: string) => void;
  /** Where per-invocation folders are made (`/tmp` in Lambda); each is removed afterwards. */
  tmpRoot: string;
  /** Working directory of the script (the image's WORKDIR in the cloud). */
  cwd: string;
  /** Variables every script gets besides the contract's (PATH, HOME, LANG, ...). */
  baseEnvironment: Record<string, string>;
  /** The values of `container.secrets`, asked for only when a script is about to run (secrets.ts). */
  secrets?: () => Promise<Record<string, string>>;
  maxStdoutBytes?: number;
  /** Ends what a script left running (default: its descendants; main passes the sandbox-wide sweep). */
  sweep?: ScriptSweep;
  /** Sees every script run (the local runner reports stdout and the exit code from here). */
  onScriptRun?: (result: ScriptResult) => void;
  /** Sees every set of outputs once it is published (the local runner mirrors them into a folder). */
  onPublished?: (uploads: readonly PlannedUpload[]) => void;
}

export interface InvocationContext {
  requestId: string;
  /** Epoch ms at which the platform ends the invocation (Lambda's `Lambda-Runtime-Deadline-Ms`). */
  deadlineMs?: number;
}

export type ProcessResult = StorageEventResult | HttpResult | BatchHandoff | string;

/** Pure Lambda: stop the script this long before the platform would, so the error can still be reported. */
export const LAMBDA_REPORT_MARGIN_MS = 1000;
/** Batch's SubmitJob accepts container overrides up to about 30 KB; stay well below. */
export const BATCH_EVENT_LIMIT_BYTES = 24_000;

type HandoffReason = BatchHandoff['reason'];

export async function processEvent(
  event: unknown,
  context: InvocationContext,
  deps: ProcessDeps,
): Promise<ProcessResult> {
  return new Supervisor(deps, context).process(event);
}

class Supervisor {
  constructor(
    private readonly deps: ProcessDeps,
    private readonly context: InvocationContext,
  ) {}

  private get settings(): SupervisorSettings {
    return this.deps.settings;
  }

  /** Whether this run may hand work to Batch (only Lambda does; Batch and local runs do the work themselves). */
  private get mayDelegate(): boolean {
    return this.settings.mode === 'lambda' && this.settings.execution !== 'lambda';
  }

  async process(event: unknown): Promise<ProcessResult> {
    const node = this.settings.node;
    if (node && node.index !== node.mainIndex) return this.processOnOtherNode(event, node);
    const classified = classifyEvent(event);
    if (classified.kind === 's3') return this.processStorageEvent(event, classified.records);
    if (classified.kind === 'http') return this.processHttpCall(event, classified.call);
    return this.processDirect(event);
  }

  // ---- S3 events -------------------------------------------------------------------------------------------

  private async processStorageEvent(
    event: unknown,
    records: S3Record[],
  ): Promise<StorageEventResult | BatchHandoff> {
    if (this.mayDelegate && this.settings.execution === 'batch')
      return this.delegate(event, 'execution-batch');
    const outcomes: RecordOutcome[] = [];
    const failures: ContinuumError[] = [];
    for (const record of records) {
      const { bucket, key } = record;
      if (record.invalidKey) {
        failures.push(asContinuumError(record.invalidKey, `s3://${bucket}/${key}`));
        continue;
      }
      if (matchBinding(this.settings.outputs, bucket, key)) {
        // The function's own output: running on it again would loop.
        outcomes.push({ bucket, key, status: 'skipped', reason: 'output-binding' });
        continue;
      }
      if (this.settings.inputs.length > 0 && !matchBinding(this.settings.inputs, bucket, key)) {
        outcomes.push({ bucket, key, status: 'skipped', reason: 'no-input-binding' });
        continue;
      }
      const name = keyBasename(key);
      if (!name) {
        outcomes.push({ bucket, key, status: 'skipped', reason: 'folder' });
        continue;
      }
      try {
        outcomes.push(await this.processRecord(record, name, event));
      } catch (error) {
        failures.push(asContinuumError(error, `s3://${bucket}/${key}`));
      }
    }
    if (failures.length === 1 && failures[0]) throw failures[0];
    if (failures.length > 1) {
      throw new ContinuumError(
        failures[0]?.code ?? 'CONTINUUM_RUN_FAILED',
        `${failures.length} objects failed:\n${failures.map((f) => f.message).join('\n')}`,
      );
    }
    return { records: outcomes };
  }

  private async processRecord(record: S3Record, name: string, event: unknown): Promise<RecordOutcome> {
    const { bucket, key } = record;
    const subject = `s3://${bucket}/${key}`;
    const single = { Records: [record.raw] };
    const delegated = (handoff: BatchHandoff): RecordOutcome => ({
      bucket,
      key,
      status: 'delegated',
      handoff,
    });
    if (this.settings.execution === 'lambda-batch') {
      const reason = await this.reasonBeforeRunning(async () => {
        const info = await this.deps.storage.head(bucket, key);
        if (!info) throw new ContinuumError('CONTINUUM_NOT_FOUND', `${subject}: object not found`);
        return info.size;
      });
      if (reason) {
        if (this.mayDelegate) return delegated(await this.delegate(single, reason));
        this.deps.log(`${subject}: would go to AWS Batch (${reason}); running here instead`);
      }
    }
    const run = await runInWorkspace(this.deps, this.context, this.deadlineAt(), {
      input: { name, object: { bucket, key } },
      event: records(event).length > 1 ? single : event,
      eventTime: record.eventTime ?? new Date(this.deps.now()).toISOString(),
      storageObjectKey: key,
      subject,
    });
    if (run.script.timedOut) {
      if (this.mayDelegate && this.settings.execution === 'lambda-batch') {
        this.deps.log(
          `${subject}: deadline near, script stopped, nothing published; handing it to AWS Batch`,
        );
        return delegated(await this.delegate(single, 'deadline'));
      }
      throw deadlineError(subject);
    }
    assertScriptSucceeded(run.script, subject);
    return { bucket, key, status: 'processed', uploaded: run.uploaded.map((u) => `${u.bucket}/${u.key}`) };
  }

  /** lambda-batch: why the work should go to Batch before running, if it should. */
  private async reasonBeforeRunning(inputSize: () => Promise<number>): Promise<HandoffReason | undefined> {
    if (this.settings.gpu > 0) return 'gpu';
    const limit = this.settings.fallbackInputBytes;
    if (limit !== undefined && (await inputSize()) > limit) return 'input-size';
    return undefined;
  }

  // ---- HTTP calls -------------------------------------------------------------------------------------------

  private async processHttpCall(event: unknown, call: HttpCall): Promise<HttpResult> {
    if (this.mayDelegate && this.settings.execution === 'batch')
      return this.delegateHttp(event, 'execution-batch');
    if (
      call.async &&
      this.deps.invokeAsync &&
      this.settings.mode === 'lambda' &&
      !this.settings.asyncByGateway
    ) {
      // A Runtime API response ends the invocation, so the work continues in a new asynchronous invocation.
      try {
        await this.deps.invokeAsync(withoutAsyncMarker(event));
        return jsonResponse(202, { status: 'accepted', requestId: this.context.requestId });
      } catch (error) {
        // Too large for an Event invocation (or not allowed): do the work now, then answer 202 all the same.
        this.deps.log(`asynchronous hand-over failed (${(error as Error).message}); processing the call now`);
      }
    }
    if (this.settings.execution === 'lambda-batch') {
      const reason = await this.reasonBeforeRunning(async () => call.body.length);
      if (reason && this.mayDelegate) return this.delegateHttp(event, reason);
      if (reason) this.deps.log(`the HTTP call would go to AWS Batch (${reason}); running here instead`);
    }
    const name = httpInputName(call, this.context.requestId);
    const run = await runInWorkspace(this.deps, this.context, this.deadlineAt(), {
      input: call.body.length > 0 ? { name, body: call.body } : undefined,
      event: eventForScript(event),
      eventTime: new Date(this.deps.now()).toISOString(),
      variables: queryVariables(call),
      subject: 'the HTTP call',
    });
    const script = run.script;
    if (script.timedOut) {
      if (this.mayDelegate && this.settings.execution === 'lambda-batch')
        return this.delegateHttp(event, 'deadline');
      return textResponse(504, 'The script did not finish in time.');
    }
    if (script.exitCode !== 0) {
      this.deps.log(`the HTTP call: ${describeFailure(script)}`);
      return textResponse(
        500,
        `The script failed (${script.signal ? `killed by ${script.signal}` : `exit code ${script.exitCode}`}).`,
      );
    }
    if (script.stdoutTruncated) {
      return textResponse(
        500,
        'The script printed more than an HTTP response can carry; write large results to TMP_OUTPUT_DIR.',
      );
    }
    if (call.async) return { statusCode: 202, headers: {}, body: '', isBase64Encoded: false };
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: script.stdout.toString('base64'),
      isBase64Encoded: true,
    };
  }

  private async delegateHttp(event: unknown, reason: HandoffReason): Promise<HttpResult> {
    if (Buffer.byteLength(JSON.stringify(event)) > BATCH_EVENT_LIMIT_BYTES) {
      return textResponse(
        413,
        `The request is too large to hand to AWS Batch (over ${BATCH_EVENT_LIMIT_BYTES} bytes); upload the file to the input bucket instead.`,
      );
    }
    return jsonResponse(202, await this.delegate(event, reason));
  }

  // ---- other events -------------------------------------------------------------------------------------------

  private async processDirect(event: unknown): Promise<string | BatchHandoff> {
    if (this.mayDelegate && (this.settings.execution === 'batch' || this.settings.gpu > 0)) {
      return this.delegate(event, this.settings.execution === 'batch' ? 'execution-batch' : 'gpu');
    }
    const run = await runInWorkspace(this.deps, this.context, this.deadlineAt(), {
      event: eventForScript(event),
      eventTime: new Date(this.deps.now()).toISOString(),
      subject: 'the invocation',
    });
    if (run.script.timedOut) {
      if (this.mayDelegate && this.settings.execution === 'lambda-batch') {
        return this.delegate(event, 'deadline');
      }
      throw deadlineError('the invocation');
    }
    assertScriptSucceeded(run.script, 'the invocation');
    return run.script.stdout.toString('utf8');
  }

  // ---- multi-node parallel jobs -----------------------------------------------------------------------------

  /**
   * A node of a multi-node parallel job other than the main one: its script runs too (an MPI worker starts its
   * sshd and waits for the main node), with the event and AWS Batch's node variables, but no input file, and
   * nothing it writes is published: the main node alone takes the input and publishes the outputs.
   */
  private async processOnOtherNode(
    event: unknown,
    node: NonNullable<SupervisorSettings['node']>,
  ): Promise<string> {
    const subject = `node ${node.index} of the multi-node job (main node ${node.mainIndex})`;
    this.deps.log(`${subject}: running the script; the main node takes the input and publishes the outputs`);
    const run = await runInWorkspace(
      { ...this.deps, settings: { ...this.settings, outputs: [] } },
      this.context,
      this.deadlineAt(),
      {
        event: eventForScript(event),
        eventTime: new Date(this.deps.now()).toISOString(),
        subject,
      },
    );
    if (run.script.timedOut) throw deadlineError(subject);
    assertScriptSucceeded(run.script, subject);
    return run.script.stdout.toString('utf8');
  }

  // ---- shared -----------------------------------------------------------------------------------------------

  private async delegate(event: unknown, reason: HandoffReason): Promise<BatchHandoff> {
    const { batchJobQueue, batchJobDefinition, functionName } = this.settings;
    if (!this.deps.batch || !batchJobQueue || !batchJobDefinition) {
      throw new ContinuumError(
        'CONTINUUM_INVALID_CONFIG',
        `function ${functionName} hands work to AWS Batch (${reason}) but has no job queue or job definition`,
      );
    }
    const request = submitJobRequest({
      functionName,
      requestId: this.context.requestId,
      jobQueue: batchJobQueue,
      jobDefinition: batchJobDefinition,
      event,
      multiNode: this.settings.batchNodes !== undefined,
    });
    const job = await this.deps.batch.submitJob(request);
    const handoff: BatchHandoff = { delegatedTo: 'batch', jobId: job.jobId, jobName: job.jobName, reason };
    this.deps.log(handoffLogLine(handoff));
    return handoff;
  }

  /** The deadline for the script: Lambda's minus a margin, or the Batch/local timeout. */
  private deadlineAt(): number | undefined {
    const { deadlineMs } = this.context;
    if (deadlineMs !== undefined && this.settings.mode === 'lambda') {
      const margin =
        this.settings.execution === 'lambda-batch' ? this.settings.deadlineMarginMs : LAMBDA_REPORT_MARGIN_MS;
      return deadlineMs - margin;
    }
    if (this.settings.timeoutSeconds !== undefined)
      return this.deps.now() + this.settings.timeoutSeconds * 1000;
    return deadlineMs;
  }
}

function records(event: unknown): unknown[] {
  const value = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(value) ? value : [];
}
