// A streaming job's mapper image end to end, with no Docker engine: assembled by the plugin on a busybox base in
// a real registry (TLS, htpasswd), pushed, pulled back with skopeo and unpacked with umoci, and its entrypoint run
// as Lambda runs it (read-only root, uid 993, only /tmp writable) on one split: the awk mapper's intermediate
// output lands on s3rver, the split is counted on dynalite, the reducers are started through Lambda at the wire.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { bundle } from '@serverless-continuum/core/bundle';
import { loadBusyboxBase } from './harness/base-images';
import {
  canRunContainers,
  pullImage,
  startAsLambda,
  type RunningContainer,
} from './harness/lambda-container';
import { startLambdaWire, type LambdaWire } from './harness/lambda-wire';
import { missingImageTools, REGISTRY_USER, startRegistry, type TestRegistry } from './harness/registry';
import {
  S3RVER_CREDENTIALS,
  s3ClientConfig,
  startDynalite,
  startS3rver,
  type LocalService,
} from './harness/services';
import { copyFixture, packageService, type Framework } from './harness/sls';
import { resource } from './harness/template-parts';
import { validateTemplate } from './harness/validate-template';
import {
  startRuntimeApi,
  type FakeRuntimeApi,
} from '../plugins/container-lambda/test/runtime/helpers/runtime-api';
import { createRunTable } from '../plugins/mapreduce/test/run-table';
import { resolveJobs, type ResolvedJob } from '../plugins/mapreduce/src/config';
import {
  assembleStreamingImage,
  IMAGE_HANDLER,
  imageHandlerEntry,
  pushStreamingImage,
} from '../plugins/mapreduce/src/compile/streaming-image';
import { createCoordinatorHandler } from '../plugins/mapreduce/src/runtime/handlers';
import { encodeKey, partitionOfEncoded } from '../plugins/mapreduce/src/runtime/keys';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-streaming-busybox');
const MAPPER = 'svc-wordcount-awk-mapper';
const REDUCER = 'svc-wordcount-awk-reducer';
const COORDINATOR = 'svc-wordcount-awk-coordinator';
const TABLE = 'wordcount-awk-runs';
// Unicode, runs of blanks, an empty line and no final newline: the split's records as the mapper must see them.
const CORPUS = 'the quick brown fox\n\nüber  straße the\tfox\njumps over the lazy dog';

describe(
  "a streaming job's mapper image, built on busybox and run as Lambda runs it on one split",
  { skip: missingImageTools.length > 0 || !canRunContainers },
  () => {
    let registry: TestRegistry;
    let s3rver: LocalService;
    let dynalite: LocalService;
    let api: FakeRuntimeApi;
    let lambda: LambdaWire;
    let s3: S3Client;
    let work: string;
    let service: string;
    let job: ResolvedJob;
    let reference: string;
    let container: RunningContainer | undefined;
    const saved = { ...process.env };

    before(async () => {
      registry = await startRegistry({ auth: 'htpasswd' });
      [s3rver, dynalite, api] = await Promise.all([
        startS3rver({ buckets: ['corpus', 'results'] }),
        startDynalite(),
        startRuntimeApi(),
      ]);
      s3 = new S3Client(s3ClientConfig(s3rver.endpoint));
      await createRunTable(dynalite.endpoint, TABLE);
      work = mkdtempSync(join(tmpdir(), 'mr-streaming-image-'));
      service = copyFixture(FIXTURE);
      const base = await loadBusyboxBase(registry);
      [job] = resolveJobs(
        {
          'wordcount-awk': {
            input: 'corpus/texts/',
            output: 'results/wordcount-awk/',
            streaming: { image: base, map: 'awk -f jobs/mapper.awk', reduce: 'awk -f jobs/reducer.awk' },
            reducers: 3,
          },
        },
        service,
      ) as [ResolvedJob];
      lambda = await startLambdaWire(
        {
          // The mapper function is the container: the wire's invocation becomes the Runtime API's next event.
          [MAPPER]: async (event: unknown, context: { awsRequestId: string }) => {
            const outcome = await container!.answer(api.invoke(event, { requestId: context.awsRequestId }));
            if (outcome.kind === 'error') throw new Error(outcome.body.errorMessage);
            return outcome.body;
          },
          // The reducers are not run: the map output stays in the temp prefix for the test to read.
          [REDUCER]: async () => ({ recorded: true }),
          [COORDINATOR]: async () => ({ recorded: true }),
        } as never,
        { [MAPPER]: { maximumRetryAttempts: 0 }, [REDUCER]: { maximumRetryAttempts: 0 } },
      );
      const variables = {
        MAPREDUCE_JOB: JSON.stringify(job.runtime),
        MAPREDUCE_TABLE: TABLE,
        MAPREDUCE_MAPPER_FUNCTION: MAPPER,
        MAPREDUCE_REDUCER_FUNCTION: REDUCER,
        MAPREDUCE_S3_ENDPOINT: s3rver.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      };
      // The coordinator runs here, with the same configuration the functions get.
      Object.assign(process.env, variables);
      process.env.CONTAINER_VARIABLES = JSON.stringify(variables);
    });

    after(async () => {
      await container?.stop();
      s3?.destroy();
      await lambda?.close();
      await api?.close();
      await Promise.all([s3rver?.close(), dynalite?.close(), registry?.close()]);
      process.env = saved;
      if (work && process.env.KEEP_FIXTURES !== '1') rmSync(work, { recursive: true, force: true });
    });

    test("the plugin assembles the image on the base and pushes it under its digest and the job's tag, verifying the registry with its CA", async () => {
      const dockerConfig = join(work, 'docker');
      mkdirSync(dockerConfig);
      const auth = Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64');
      writeFileSync(
        join(dockerConfig, 'config.json'),
        JSON.stringify({ auths: { [registry.host]: { auth } } }),
      );
      const handlerFile = join(work, 'streaming-handler.js');
      await bundle({ contents: imageHandlerEntry(), resolveDir: service, outfile: handlerFile });
      const options = {
        cacheDir: join(work, 'cache'),
        ca: registry.cert,
        dockerConfig,
        // Node.js from this machine, with its loader and libraries: packaging stays offline.
        runtime: { node: process.execPath },
      };
      const image = await assembleStreamingImage(job, {
        ...options,
        serviceDir: service,
        architecture: process.arch === 'arm64' ? 'arm64' : 'x86_64',
        handlerFile,
      });
      const pushed = await pushStreamingImage(
        job,
        image,
        { registry: registry.host, repository: 'mr/wordcount-awk' },
        options,
      );
      reference = pushed.reference;
      assert.equal(reference, `${registry.host}/mr/wordcount-awk@${image.digest}`);
      // Pushed under the job's tag as well as its digest.
      assert.ok(
        registry.requests.some(
          (r) => r.method === 'PUT' && r.path.endsWith('/manifests/wordcount-awk-mapreduce'),
        ),
      );
      assert.match(reference, new RegExp(`^${registry.host}/mr/wordcount-awk@sha256:[a-f0-9]{64}$`));
    });

    test("the image's entrypoint maps the one split with the awk mapper and writes each word to its key's partition", async () => {
      assert.ok(reference, 'the build test pushed the image');
      const image = await pullImage(registry, reference, work, 'mapper');
      const entrypoint = image.args.slice(0, image.args.indexOf(IMAGE_HANDLER) + 1);
      assert.ok(entrypoint.length > 1, `the entrypoint runs the task handler: ${image.args.join(' ')}`);
      // Lambda replaces the image's command with the function's ImageConfig.Command: its role.
      container = startAsLambda(
        { ...image, args: [...entrypoint, 'mapper'] },
        {
          ...(JSON.parse(process.env.CONTAINER_VARIABLES!) as Record<string, string>),
          AWS_LAMBDA_RUNTIME_API: api.address,
          AWS_LAMBDA_FUNCTION_NAME: MAPPER,
        },
      );
      const key = 'texts/corpus.txt';
      await s3.send(new PutObjectCommand({ Bucket: 'corpus', Key: key, Body: CORPUS }));
      const started = (await createCoordinatorHandler()(
        {
          Records: [
            {
              eventSource: 'aws:s3',
              eventName: 'ObjectCreated:Put',
              s3: {
                bucket: { name: 'corpus' },
                object: { key, size: Buffer.byteLength(CORPUS), eTag: '"feed"', sequencer: '01' },
              },
            },
          ],
        },
        { awsRequestId: randomUUID() } as never,
      )) as { started: string[] };
      await lambda.quiescent();
      const runId = started.started[0]!;
      const mapped = lambda.invocations.filter((i) => i.fn === MAPPER);
      assert.equal(mapped.length, 1, `one split, one mapper invocation: ${container.output()}`);
      assert.deepEqual(api.violations, []);

      const expected = new Map<number, string>();
      for (const word of CORPUS.split(/\s+/).filter(Boolean)) {
        const encoded = encodeKey(word);
        const partition = partitionOfEncoded(encoded, 3);
        expected.set(partition, `${expected.get(partition) ?? ''}${encoded}\t"1"\n`);
      }
      const prefix = `${job.runtime.temp.prefix}${runId}/map/0/`;
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: job.runtime.temp.bucket, Prefix: prefix }),
      );
      const written = new Map<number, string>();
      for (const object of listed.Contents ?? []) {
        const got = await s3.send(
          new GetObjectCommand({ Bucket: job.runtime.temp.bucket, Key: object.Key! }),
        );
        written.set(
          Number(object.Key!.slice(prefix.length).replace('part-', '')),
          await got.Body!.transformToString(),
        );
      }
      assert.deepEqual(
        [...written].sort(([a], [b]) => a - b),
        [...expected].sort(([a], [b]) => a - b),
        container.output(),
      );
      // The one split done ends the map phase: each partition's reducer is started.
      assert.equal(lambda.invocations.filter((i) => i.fn === REDUCER).length, 3);
    });
  },
);

describe(
  'sls package of a streaming job without streaming.uri, its base in the test registry',
  { skip: missingImageTools.length > 0 },
  () => {
    let registry: TestRegistry;
    let work: string;
    let env: Record<string, string>;
    const digests: string[] = [];

    before(async () => {
      registry = await startRegistry({ auth: 'htpasswd' });
      work = mkdtempSync(join(tmpdir(), 'mr-streaming-package-'));
      const dockerConfig = join(work, 'docker');
      mkdirSync(dockerConfig);
      const auth = Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64');
      writeFileSync(
        join(dockerConfig, 'config.json'),
        JSON.stringify({ auths: { [registry.host]: { auth } } }),
      );
      env = {
        STREAMING_BASE: await loadBusyboxBase(registry),
        RUNTIME_NODE: process.execPath,
        DOCKER_CONFIG: dockerConfig,
        // The registry's self-signed certificate is trusted as a CA: TLS verification stays on.
        NODE_EXTRA_CA_CERTS: join(registry.certDir, 'ca.crt'),
      };
    });
    after(async () => {
      await registry?.close();
      if (work && process.env.KEEP_FIXTURES !== '1') rmSync(work, { recursive: true, force: true });
    });

    for (const framework of ['osls', 'serverless'] as Framework[]) {
      test(`${framework}: the mapper and reducer deploy the assembled image pinned by digest in the stack's own account and region, with no credentials asked`, async () => {
        const { template, dir, stdout, stderr } = await packageService(FIXTURE, framework, { env });
        validateTemplate(template);
        const uris = ['mapper', 'reducer'].map((role) => {
          const fn = resource(template, `WordcountDashawkDashmrDash${role}LambdaFunction`);
          assert.equal(fn.Properties.PackageType, 'Image');
          assert.deepEqual(fn.Properties.ImageConfig, { Command: [role] });
          return (fn.Properties.Code as { ImageUri: { 'Fn::Sub': string } }).ImageUri;
        });
        assert.deepEqual(uris[0], uris[1], 'one image for both roles');
        const match =
          /^\$\{AWS::AccountId\}\.dkr\.ecr\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/serverless-continuum\/mr-streaming-busybox-dev@(sha256:[a-f0-9]{64})$/.exec(
            uris[0]!['Fn::Sub'],
          );
        assert.ok(match, `${JSON.stringify(uris[0])}\n${stdout}${stderr}`);
        digests.push(match[1]!);
        // What `sls deploy --package` pushes: the assembled image, its manifest in the service's image cache.
        const record = JSON.parse(
          readFileSync(join(dir, '.serverless', 'mapreduce-images.json'), 'utf8'),
        ) as Record<string, { digest: string }>;
        assert.equal(record['wordcount-awk']?.digest, match[1]);
        assert.ok(existsSync(join(dir, '.serverless', 'continuum-images')));
        const coordinator = resource(template, 'WordcountDashawkDashmrDashcoordinatorLambdaFunction');
        assert.equal(coordinator.Properties.PackageType, undefined);
      });
    }

    test('both frameworks assemble the same image from the same inputs', () => {
      assert.equal(digests.length, 2);
      assert.equal(digests[0], digests[1]);
    });
  },
);
