// The supervisor in an AWS Batch multi-node parallel job (SCAR's MPI example): every node runs the script with
// AWS Batch's node variables, the main node alone takes the input and publishes the outputs; and the Lambda
// function hands the event to every node. s3rver as S3, loopback endpoints for the Runtime API and Batch.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type LocalService } from '../../../../test/harness/services';
import type { StorageBindingRuntime } from '../../src/runtime/contract';
import { startBatchEndpoint, type WireEndpoint } from './helpers/aws-wire';
import { startRuntimeApi, type FakeRuntimeApi } from './helpers/runtime-api';
import { s3Event, TestBucket } from './helpers/s3';
import { AWS_TEST_ENV, startSupervisor, writeScript, type SupervisorProcess } from './helpers/supervisor';

const INPUT: StorageBindingRuntime = { storage: 's3', bucket: 'mpi', prefix: 'input', suffix: [] };
const OUTPUT: StorageBindingRuntime = { storage: 's3', bucket: 'mpi', prefix: 'output', suffix: [] };

// What run_batch.sh-like scripts look at: the node variables, the input, and a place for results.
const NODE_SCRIPT = `
set -e
echo "index=$AWS_BATCH_JOB_NODE_INDEX main=$AWS_BATCH_JOB_MAIN_NODE_INDEX nodes=$AWS_BATCH_JOB_NUM_NODES main-address=\${AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS-unset} input=\${INPUT_FILE_PATH-none} job=$AWS_BATCH_JOB_ID" > "$MARKER"
if [ -n "$INPUT_FILE_PATH" ]; then cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/result.txt"; fi
echo "node $AWS_BATCH_JOB_NODE_INDEX" > "$TMP_OUTPUT_DIR/node-$AWS_BATCH_JOB_NODE_INDEX.log"
`;

let s3: LocalService;
let bucket: TestBucket;
let supervisor: SupervisorProcess | undefined;
let scratch: string;

before(async () => {
  s3 = await startS3rver({ buckets: ['mpi'] });
  bucket = new TestBucket(s3.endpoint, 'mpi');
});

after(async () => {
  bucket.destroy();
  await s3.close();
});

afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  rmSync(scratch, { recursive: true, force: true });
});

/** One node's container: the supervisor in Batch mode with the variables AWS Batch sets on that node. */
function startNode(event: unknown, node: Record<string, string>, script = NODE_SCRIPT): string {
  scratch = mkdtempSync(join(tmpdir(), 'continuum-multi-node-'));
  const tmp = join(scratch, 'tmp');
  mkdirSync(tmp);
  const marker = join(scratch, 'marker.txt');
  supervisor = startSupervisor({
    ...AWS_TEST_ENV,
    TMPDIR: tmp,
    CONTINUUM_MODE: 'batch',
    CONTINUUM_EXECUTION: 'batch',
    CONTINUUM_FUNCTION: 'scar-mpi',
    CONTINUUM_SCRIPT: writeScript(script),
    CONTINUUM_INPUTS: JSON.stringify([INPUT]),
    CONTINUUM_OUTPUTS: JSON.stringify([OUTPUT]),
    CONTINUUM_S3_ENDPOINT: s3.endpoint,
    CONTINUUM_EVENT: JSON.stringify(event),
    CONTINUUM_REQUEST_ID: 'req-mpi',
    CONTINUUM_USER_ENV: 'MARKER',
    MARKER: marker,
    AWS_BATCH_JOB_ID: 'job-mpi#1',
    ...node,
  });
  return marker;
}

describe('supervisor in a multi-node parallel Batch job', () => {
  test('the main node downloads the input, runs the script with the node variables, and publishes the outputs', async () => {
    await bucket.put('input/hosts.yaml', 'HOSTS');
    const marker = startNode(s3Event('mpi', 'input/hosts.yaml'), {
      AWS_BATCH_JOB_NODE_INDEX: '0',
      AWS_BATCH_JOB_MAIN_NODE_INDEX: '0',
      AWS_BATCH_JOB_NUM_NODES: '3',
    });
    assert.equal(await supervisor!.exited, 0, supervisor!.output());
    assert.match(
      readFileSync(marker, 'utf8'),
      /^index=0 main=0 nodes=3 main-address=unset input=\/.+\/hosts\.yaml job=job-mpi#1\n$/,
    );
    assert.equal((await bucket.get('output/result.txt')).toString(), 'HOSTS');
    assert.equal((await bucket.get('output/node-0.log')).toString(), 'node 0\n');
  });

  test('another node runs the script with the main node’s address, takes no input and publishes nothing', async () => {
    // The object is not there: a node that tried to download it would fail.
    const before = await bucket.keys('output/');
    const marker = startNode(s3Event('mpi', 'input/absent.yaml'), {
      AWS_BATCH_JOB_NODE_INDEX: '2',
      AWS_BATCH_JOB_MAIN_NODE_INDEX: '0',
      AWS_BATCH_JOB_NUM_NODES: '3',
      AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS: '10.0.1.17',
    });
    assert.equal(await supervisor!.exited, 0, supervisor!.output());
    assert.equal(
      readFileSync(marker, 'utf8'),
      'index=2 main=0 nodes=3 main-address=10.0.1.17 input=none job=job-mpi#1\n',
    );
    assert.deepEqual(await bucket.keys('output/'), before, 'nothing published');
    assert.match(
      supervisor!.output(),
      /node 2 of the multi-node job \(main node 0\): running the script; the main node takes the input and publishes the outputs/,
    );
  });

  test('a node whose script fails exits 1 naming the node', async () => {
    startNode(
      s3Event('mpi', 'input/absent.yaml'),
      { AWS_BATCH_JOB_NODE_INDEX: '1', AWS_BATCH_JOB_MAIN_NODE_INDEX: '0', AWS_BATCH_JOB_NUM_NODES: '2' },
      'echo "sshd did not start" >&2\nexit 3\n',
    );
    assert.equal(await supervisor!.exited, 1);
    assert.match(
      supervisor!.output(),
      /CONTINUUM_SCRIPT_FAILED: node 1 of the multi-node job \(main node 0\): the script failed with exit code 3; stderr \(last lines\):\nsshd did not start/,
    );
  });

  test('node variables that are not AWS Batch’s numbers stop the supervisor before the script', async () => {
    startNode(s3Event('mpi', 'input/x'), {
      AWS_BATCH_JOB_NODE_INDEX: 'one',
      AWS_BATCH_JOB_MAIN_NODE_INDEX: '0',
      AWS_BATCH_JOB_NUM_NODES: '2',
    });
    assert.equal(await supervisor!.exited, 1);
    assert.match(
      supervisor!.output(),
      /CONTINUUM_INVALID_CONFIG: environment variable AWS_BATCH_JOB_NODE_INDEX: must be a node index set by AWS Batch, got "one"/,
    );
  });
});

describe('the function of a multi-node job', () => {
  let api: FakeRuntimeApi;
  let batch: WireEndpoint;
  before(async () => {
    api = await startRuntimeApi();
    batch = await startBatchEndpoint();
  });
  after(async () => {
    await Promise.all([api.close(), batch.close()]);
  });

  test('hands the event to every node: SubmitJob with node overrides for the range 0:', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'continuum-multi-node-'));
    supervisor = startSupervisor({
      ...AWS_TEST_ENV,
      TMPDIR: scratch,
      AWS_LAMBDA_RUNTIME_API: api.address,
      AWS_ENDPOINT_URL_BATCH: batch.endpoint,
      CONTINUUM_FUNCTION: 'scar-mpi',
      CONTINUUM_SCRIPT: writeScript('exit 1\n'),
      CONTINUUM_EXECUTION: 'batch',
      CONTINUUM_INPUTS: JSON.stringify([INPUT]),
      CONTINUUM_OUTPUTS: JSON.stringify([OUTPUT]),
      CONTINUUM_S3_ENDPOINT: s3.endpoint,
      CONTINUUM_BATCH_JOB_QUEUE: 'mpi-queue',
      CONTINUUM_BATCH_JOB_DEFINITION: 'mpi-job',
      CONTINUUM_BATCH_NODES: '3',
    });
    const event = s3Event('mpi', 'input/hosts.yaml');
    const outcome = await api.invoke(event, { requestId: 'req-nodes' });
    assert.equal(outcome.kind, 'response', JSON.stringify(outcome.body));
    assert.deepEqual(batch.violations, []);
    assert.deepEqual(api.violations, []);
    assert.equal(batch.requests.length, 1);
    assert.deepEqual(JSON.parse(batch.requests[0]!.body), {
      jobName: 'scar-mpi-req-nodes',
      jobQueue: 'mpi-queue',
      jobDefinition: 'mpi-job',
      nodeOverrides: {
        nodePropertyOverrides: [
          {
            targetNodes: '0:',
            containerOverrides: {
              environment: [
                { name: 'CONTINUUM_MODE', value: 'batch' },
                { name: 'CONTINUUM_EVENT', value: JSON.stringify(event) },
                { name: 'CONTINUUM_REQUEST_ID', value: 'req-nodes' },
              ],
            },
          },
        ],
      },
    });
  });
});
