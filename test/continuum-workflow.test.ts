// templates/continuum-workflow end to end on this machine: an upload to the edge's MinIO runs the OSCAR service's
// script (oscar-target's local runner, faas-supervisor's variables), its output goes to the "S3" bucket, and
// S3's notification reaches container-lambda's supervisor, the cloud half, through the Lambda Runtime API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { resolveBinding, type StorageBinding } from '@serverless-continuum/core/functions';
import { runOscarScriptLocally } from '../plugins/oscar-target/src/local';
import {
  startRuntimeApi,
  type FakeRuntimeApi,
} from '../plugins/container-lambda/test/runtime/helpers/runtime-api';
import { encodeEventKey, TestBucket } from '../plugins/container-lambda/test/runtime/helpers/s3';
import {
  AWS_TEST_ENV,
  startSupervisor,
  type SupervisorProcess,
} from '../plugins/container-lambda/test/runtime/helpers/supervisor';
import { startS3rver, type LocalService } from './harness/services';
import { packageService, REPO_ROOT, runSls } from './harness/sls';

const TEMPLATE = join(REPO_ROOT, 'templates', 'continuum-workflow');
const EDGE = join(TEMPLATE, 'edge');
const CLOUD = join(TEMPLATE, 'cloud');

/** One record of an S3 (or s3rver) notification, as far as the chain reads it. */
interface NotificationRecord {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number } };
}

/** Notifications as a bucket sends them, taken one at a time. */
class Inbox {
  private readonly records: NotificationRecord[] = [];
  private waiting: ((record: NotificationRecord) => void) | undefined;

  receive = (event: unknown): void => {
    for (const record of (event as { Records: NotificationRecord[] }).Records) {
      if (this.waiting) {
        const deliver = this.waiting;
        this.waiting = undefined;
        deliver(record);
      } else this.records.push(record);
    }
  };

  next(what: string): Promise<NotificationRecord> {
    const queued = this.records.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notification for ${what} within 10 s`)), 10_000);
      this.waiting = (record) => {
        clearTimeout(timer);
        resolve(record);
      };
    });
  }
}

/** The edge service as edge/serverless.yml defines it (read as written: its `${env:...}` are not needed here). */
interface EdgeService {
  name: string;
  script: string;
  environment: Record<string, string>;
  input: StorageBinding[];
  output: StorageBinding[];
}

function edgeService(): EdgeService {
  const config = parse(readFileSync(join(EDGE, 'serverless.yml'), 'utf8')) as {
    functions: Record<
      string,
      {
        container: { script: string; environment?: Record<string, string> };
        input: StorageBinding[];
        output: StorageBinding[];
      }
    >;
  };
  const [name, fn] = Object.entries(config.functions)[0]!;
  return {
    name,
    script: join(EDGE, fn.container.script),
    environment: fn.container.environment ?? {},
    input: fn.input,
    output: fn.output,
  };
}

/** Whether OSCAR runs the service on this object: MinIO notifies it for keys under an input path, with its suffixes. */
function edgeTakes(service: EdgeService, bucket: string, key: string): boolean {
  return service.input
    .map((binding, index) => resolveBinding(binding, `input[${index}]`))
    .some(
      (input) =>
        input.bucket === bucket &&
        key.startsWith(input.prefix ? `${input.prefix}/` : '') &&
        (input.suffix.length === 0 || input.suffix.some((suffix) => key.endsWith(suffix))),
    );
}

type Template = Awaited<ReturnType<typeof packageService>>['template'];

interface LambdaTrigger {
  bucket: string;
  events: string[];
  rules: Array<{ Name: string; Value: string }>;
  functionLogicalId: string;
}

/** The S3 → Lambda notifications of the packaged cloud stack, as S3 would apply them. */
function lambdaTriggers(template: Template): LambdaTrigger[] {
  const triggers: LambdaTrigger[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::S3::Bucket') continue;
    const properties = resource.Properties as {
      BucketName: string;
      NotificationConfiguration?: {
        LambdaConfigurations?: Array<{
          Event: string;
          Function: { 'Fn::GetAtt': [string, string] };
          Filter?: { S3Key: { Rules: Array<{ Name: string; Value: string }> } };
        }>;
      };
    };
    for (const configuration of properties.NotificationConfiguration?.LambdaConfigurations ?? []) {
      triggers.push({
        bucket: properties.BucketName,
        events: [configuration.Event],
        rules: configuration.Filter?.S3Key.Rules ?? [],
        functionLogicalId: configuration.Function['Fn::GetAtt'][0],
      });
    }
  }
  return triggers;
}

function triggered(trigger: LambdaTrigger, record: NotificationRecord): boolean {
  const key = record.s3.object.key;
  const eventMatches = trigger.events.some((pattern) =>
    pattern.endsWith(':*')
      ? `s3:${record.eventName}`.startsWith(pattern.slice(0, -1))
      : pattern === `s3:${record.eventName}`,
  );
  const rulesMatch = trigger.rules.every((rule) =>
    rule.Name === 'prefix' ? key.startsWith(rule.Value) : key.endsWith(rule.Value),
  );
  return trigger.bucket === record.s3.bucket.name && eventMatches && rulesMatch;
}

describe('templates/continuum-workflow on this machine: MinIO -> OSCAR service -> S3 -> Lambda', () => {
  const work = mkdtempSync(join(tmpdir(), 'continuum-workflow-'));
  const service = edgeService();
  const minioInbox = new Inbox();
  const s3Inbox = new Inbox();
  let minio: LocalService;
  let s3: LocalService;
  let api: FakeRuntimeApi;
  let supervisor: SupervisorProcess;
  let template: Template;
  let requests = 0;

  before(async () => {
    // The cloud half as `sls package` compiles it: the function's settings and the bucket's trigger.
    const packaged = await packageService(CLOUD, 'osls');
    template = packaged.template;
    rmSync(packaged.dir, { recursive: true, force: true });
    [minio, s3, api] = await Promise.all([
      // OSCAR creates its input bucket on deploy; the cloud stack creates my-bucket.
      startS3rver({ buckets: ['readings'], onEvent: minioInbox.receive }),
      startS3rver({ buckets: ['my-bucket'], onEvent: s3Inbox.receive }),
      startRuntimeApi(),
    ]);
    const fn = template.Resources.SummariseLambdaFunction?.Properties as {
      Environment: { Variables: Record<string, string> };
    };
    supervisor = startSupervisor(
      {
        ...fn.Environment.Variables,
        ...AWS_TEST_ENV,
        AWS_LAMBDA_RUNTIME_API: api.address,
        // In the image the script is /opt/continuum/script.sh; here it is the template's own file.
        CONTINUUM_SCRIPT: join(CLOUD, 'scripts', 'summarise.sh'),
        CONTINUUM_S3_ENDPOINT: s3.endpoint,
      },
      { from: 'bundle' },
    );
  });

  after(async () => {
    await supervisor?.stop();
    await Promise.all([minio?.close(), s3?.close(), api?.close()]);
    rmSync(work, { recursive: true, force: true });
  });

  /** What OSCAR does with a MinIO notification: the service's script on the object, its outputs uploaded. */
  async function runEdge(record: NotificationRecord): Promise<string[]> {
    const { name: bucket } = record.s3.bucket;
    const { key } = record.s3.object;
    if (!edgeTakes(service, bucket, key)) return [];
    const source = new TestBucket(minio.endpoint, bucket);
    const dir = mkdtempSync(join(work, 'edge-'));
    const inputFile = join(dir, basename(key));
    try {
      writeFileSync(inputFile, await source.get(key));
    } finally {
      source.destroy();
    }
    const result = await runOscarScriptLocally({
      service: service.name,
      script: service.script,
      inputFile,
      object: { bucket, key },
      environment: service.environment,
      inputs: service.input,
      outputs: service.output,
      outputDir: join(dir, 'out'),
      log: () => undefined,
    });
    const uploaded: string[] = [];
    for (const upload of result.uploads) {
      // Both stand-ins speak S3: `minio.*` outputs go back to MinIO, `s3.*` ones to "AWS".
      const target = new TestBucket(
        upload.storage.startsWith('s3') ? s3.endpoint : minio.endpoint,
        upload.bucket,
      );
      try {
        await target.put(upload.key, readFileSync(upload.file));
      } finally {
        target.destroy();
      }
      uploaded.push(`${upload.storage} ${upload.bucket}/${upload.key}`);
    }
    return uploaded;
  }

  /** What S3 does with a notification: each Lambda trigger it passes invokes the function with the record. */
  async function deliverToLambda(record: NotificationRecord): Promise<unknown[]> {
    const answers: unknown[] = [];
    for (const trigger of lambdaTriggers(template).filter((t) => triggered(t, record))) {
      assert.equal(trigger.functionLogicalId, 'SummariseLambdaFunction');
      // s3rver notifies with the key as written; S3 URL-encodes it, and the supervisor decodes it.
      const event = {
        Records: [
          {
            ...record,
            s3: { ...record.s3, object: { ...record.s3.object, key: encodeEventKey(record.s3.object.key) } },
          },
        ],
      };
      const outcome = await api.invoke(event, { requestId: `req-${++requests}` });
      assert.equal(outcome.kind, 'response', `${JSON.stringify(outcome.body)}\n${supervisor.output()}`);
      answers.push(outcome.body);
    }
    return answers;
  }

  test("the two files are chained by one bucket prefix: the edge's S3 output is the cloud function's trigger", () => {
    assert.deepEqual(lambdaTriggers(template), [
      {
        bucket: 'my-bucket',
        events: ['s3:ObjectCreated:*'],
        rules: [
          { Name: 'prefix', Value: 'from-oscar/' },
          { Name: 'suffix', Value: '.csv' },
        ],
        functionLogicalId: 'SummariseLambdaFunction',
      },
    ]);
    const toS3 = service.output
      .filter((binding) => binding.storage.startsWith('s3'))
      .map((binding, index) => resolveBinding(binding, `output[${index}]`));
    assert.deepEqual(
      toS3.map(({ bucket, prefix }) => `${bucket}/${prefix}/`),
      lambdaTriggers(template).map((t) => `${t.bucket}/${t.rules.find((r) => r.Name === 'prefix')?.Value}`),
    );
  });

  test('the edge file packages with provider: oscar: its S3 output is the bucket the cloud half listens to', async (t) => {
    // Inside the repository, where the framework finds the plugin in node_modules.
    const parent = join(REPO_ROOT, '.tmp', 'fixtures');
    mkdirSync(parent, { recursive: true });
    const dir = mkdtempSync(join(parent, 'continuum-edge-'));
    cpSync(EDGE, dir, { recursive: true });
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const run = await runSls('osls', ['package'], {
      cwd: dir,
      env: {
        OSCAR_ENDPOINT: 'https://oscar.example.org',
        OSCAR_PASSWORD: 'edge-password',
        EDGE_AWS_ACCESS_KEY_ID: 'AKIAEDGEEXAMPLE',
        EDGE_AWS_SECRET_ACCESS_KEY: 'edge-secret-key',
      },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const written = readFileSync(join(dir, '.serverless', 'oscar-services.json'), 'utf8');
    assert.doesNotMatch(written, /edge-secret-key|edge-password/, 'credentials are redacted');
    const { services } = JSON.parse(written) as {
      services: { name: string; output?: { storage_provider: string; path: string }[] }[];
    };
    const anonymise = services.find((entry) => entry.name === 'anonymise');
    assert.deepEqual(
      anonymise?.output?.find((binding) => binding.storage_provider.startsWith('s3')),
      { storage_provider: 's3.aws', path: 'my-bucket/from-oscar' },
    );
  });

  test('a CSV uploaded to the edge MinIO becomes a report in S3, anonymised before it left the edge', async () => {
    const readings = readFileSync(join(TEMPLATE, 'data', 'readings.csv'));
    const inbox = new TestBucket(minio.endpoint, 'readings');
    await inbox.put('in/site 1.csv', readings);
    inbox.destroy();

    const uploaded = await runEdge(await minioInbox.next('the upload to MinIO'));
    assert.deepEqual(uploaded, ['s3.aws my-bucket/from-oscar/site 1.csv']);

    const bucket = new TestBucket(s3.endpoint, 'my-bucket');
    try {
      const anonymised = (await bucket.get('from-oscar/site 1.csv')).toString('utf8');
      assert.doesNotMatch(anonymised, /@/);
      assert.equal(anonymised.split('\n')[1], '2026-12-01T08:00:00Z,valencia-1,redacted,21.5');

      const answers = await deliverToLambda(await s3Inbox.next("OSCAR's upload to S3"));
      assert.deepEqual(answers, [
        {
          records: [
            {
              bucket: 'my-bucket',
              key: 'from-oscar/site 1.csv',
              status: 'processed',
              uploaded: ['my-bucket/reports/site 1.json'],
            },
          ],
        },
      ]);
      assert.deepEqual(JSON.parse((await bucket.get('reports/site 1.json')).toString('utf8')), {
        source: 'from-oscar/site 1.csv',
        personal: 0,
        stations: [
          { station: 'valencia-1', readings: 3, mean: 22.33 },
          { station: 'valencia-2', readings: 2, mean: 19.5 },
        ],
      });

      // The Lambda's own report is notified too, and no trigger takes it: the chain ends there.
      const report = await s3Inbox.next("the Lambda's report");
      assert.equal(report.s3.object.key, 'reports/site 1.json');
      assert.deepEqual(await deliverToLambda(report), []);
      assert.deepEqual(await bucket.keys(''), ['from-oscar/site 1.csv', 'reports/site 1.json']);
    } finally {
      bucket.destroy();
    }
  });

  test('a file outside the edge input (not a .csv) runs nothing and reaches no bucket', async () => {
    const inbox = new TestBucket(minio.endpoint, 'readings');
    await inbox.put('in/notes.txt', 'not readings');
    inbox.destroy();
    assert.deepEqual(await runEdge(await minioInbox.next('the upload to MinIO')), []);
    const bucket = new TestBucket(s3.endpoint, 'my-bucket');
    try {
      assert.deepEqual(
        (await bucket.keys('')).filter((key) => key.includes('notes')),
        [],
      );
    } finally {
      bucket.destroy();
    }
  });
});
