// The registry builder end to end, with no Docker engine: a real docker-registry (TLS, htpasswd) holding two
// bases, `sls container build --push` and `sls package` through the real CLI, the image pulled back with
// skopeo, unpacked with umoci, and its entrypoint run the way Lambda runs it (read-only root, a non-root uid,
// only /tmp writable) against a loopback Lambda Runtime API and s3rver.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hostNodeLibraries, loadBusyboxBase, loadGlibcBase, loadNodeImage } from './harness/base-images';
import {
  canRunContainers,
  inspectImage,
  LAMBDA_UID,
  pullImage,
  startAsLambda,
} from './harness/lambda-container';
import {
  missingImageTools,
  needImageTools,
  REGISTRY_USER,
  startRegistry,
  type TestRegistry,
} from './harness/registry';
import { startS3rver, S3RVER_CREDENTIALS, type LocalService } from './harness/services';
import { copyFixture, runSls } from './harness/sls';
import {
  startRuntimeApi,
  type FakeRuntimeApi,
} from '../plugins/container-lambda/test/runtime/helpers/runtime-api';
import { s3Event, TestBucket } from '../plugins/container-lambda/test/runtime/helpers/s3';

const FIXTURE = join(__dirname, 'fixtures', 'container-lambda-registry');
// The container's mount namespace (read-only root, its own /tmp) and the switch to uid 993 need root.
const isRoot = canRunContainers;

describe(
  'container images built and pushed through the registry API, run as Lambda runs them',
  { skip: missingImageTools.length > 0 || !isRoot },
  () => {
    let registry: TestRegistry;
    let s3: LocalService;
    let api: FakeRuntimeApi;
    let service: string;
    let env: Record<string, string>;
    let work: string;

    before(async () => {
      registry = await startRegistry({ auth: 'htpasswd' });
      s3 = await startS3rver({ buckets: ['continuum-registry-in', 'continuum-registry-out'] });
      api = await startRuntimeApi();
      work = mkdtempSync(join(tmpdir(), 'continuum-registry-e2e-'));
      const dockerConfig = join(work, 'docker');
      mkdirSync(dockerConfig);
      const auth = Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64');
      writeFileSync(
        join(dockerConfig, 'config.json'),
        JSON.stringify({ auths: { [registry.host]: { auth } } }),
      );
      env = {
        ECHO_BASE: await loadBusyboxBase(registry),
        UPPER_BASE: await loadGlibcBase(registry),
        RUNTIME_NODE: process.execPath,
        DOCKER_CONFIG: dockerConfig,
        // The registry's self-signed certificate is trusted as a CA: TLS verification stays on.
        NODE_EXTRA_CA_CERTS: join(registry.certDir, 'ca.crt'),
      };
      service = copyFixture(FIXTURE);
    });
    after(async () => {
      await api?.close();
      await s3?.close();
      await registry?.close();
      if (work && process.env.KEEP_FIXTURES !== '1') rmSync(work, { recursive: true, force: true });
    });

    async function build(
      fn: string,
      repository: string,
      other?: { config: string; env: Record<string, string> },
    ): Promise<{ reference: string; output: string }> {
      const result = await runSls(
        'osls',
        [
          'container',
          'build',
          '-f',
          fn,
          '--push',
          '--registry',
          `${registry.host}/${repository}`,
          ...(other ? ['--config', other.config] : []),
        ],
        {
          cwd: service,
          env: { ...env, ...other?.env },
          timeoutMs: 300_000,
        },
      );
      const output = result.stdout + result.stderr;
      assert.equal(result.code, 0, output);
      const basic = Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64');
      assert.ok(
        !output.includes(REGISTRY_USER.password) && !output.includes(basic),
        'no credential in the output',
      );
      const lines = result.stdout.trim().split('\n');
      return { reference: lines[lines.length - 1]!.trim(), output };
    }

    const pull = (reference: string, name: string) => pullImage(registry, reference, work, name);
    const start = startAsLambda;

    const contract = (fn: string, extra: Record<string, string> = {}) => ({
      AWS_LAMBDA_RUNTIME_API: api.address,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: `continuum-registry-dev-${fn}`,
      CONTINUUM_FUNCTION: fn,
      CONTINUUM_SCRIPT: '/opt/continuum/script.sh',
      CONTINUUM_S3_ENDPOINT: s3.endpoint,
      ...extra,
    });

    /** Runs the echo function's image as Lambda would, sends it `ping` over HTTP and returns the decoded answer. */
    const pingEcho = async (reference: string, name: string, requestId: string): Promise<string> => {
      const lambda = start(await pull(reference, name), contract('echo'));
      try {
        const outcome = await lambda.answer(
          api.invoke(
            {
              httpMethod: 'POST',
              path: '/echo',
              headers: {},
              body: Buffer.from('ping\n').toString('base64'),
              isBase64Encoded: true,
              requestContext: { requestId },
            },
            { requestId: `${requestId}-${name}` },
          ),
        );
        assert.equal(outcome.kind, 'response', lambda.output());
        return Buffer.from((outcome.body as { body: string }).body, 'base64').toString();
      } finally {
        await lambda.stop();
      }
    };

    let echoReference = '';

    test('sls container build --push prints the pushed reference as its last line', async () => {
      const built = await build('echo', 'fn/echo');
      assert.match(built.reference, new RegExp(`^${registry.host}/fn/echo@sha256:[a-f0-9]{64}$`));
      assert.match(built.output, /Image of echo pushed: [\d.]+ MB in 4 blob\(s\) uploaded, 1 mounted/);
      echoReference = built.reference;
    });

    test('on a busybox base, an HTTP event is answered with the stdout of the script, as uid 993 on a read-only root', async () => {
      assert.ok(echoReference, 'the build test pushed the image');
      const answer = await pingEcho(echoReference, 'echo', 'r1');
      assert.equal(answer, `hello from ${LAMBDA_UID} on a read-only root\nping\n`);
      assert.deepEqual(api.violations, []);
    });

    test('on a glibc base with another layout, an S3 event runs the script and its output object appears', async () => {
      const built = await build('upper', 'fn/upper');
      const image = await pull(built.reference, 'upper');
      const input = new TestBucket(s3.endpoint, 'continuum-registry-in');
      const output = new TestBucket(s3.endpoint, 'continuum-registry-out');
      const lambda = start(
        image,
        contract('upper', {
          CONTINUUM_INPUTS: JSON.stringify([
            { storage: 's3', bucket: 'continuum-registry-in', prefix: 'in', suffix: [] },
          ]),
          CONTINUUM_OUTPUTS: JSON.stringify([
            { storage: 's3', bucket: 'continuum-registry-out', prefix: 'out', suffix: [] },
          ]),
        }),
      );
      try {
        await input.put('in/hello.txt', 'hello from s3\n');
        const outcome = await lambda.answer(
          api.invoke(s3Event('continuum-registry-in', 'in/hello.txt'), { requestId: 'r-upper-1' }),
        );
        assert.equal(outcome.kind, 'response', lambda.output());
        assert.deepEqual(
          (outcome.body as { records: unknown[] }).records,
          [
            {
              bucket: 'continuum-registry-in',
              key: 'in/hello.txt',
              status: 'processed',
              uploaded: ['continuum-registry-out/out/hello.txt'],
            },
          ],
          `supervisor output: ${lambda.output()}`,
        );
        assert.equal((await output.get('out/hello.txt')).toString(), 'HELLO FROM S3\n');
      } finally {
        await lambda.stop();
        input.destroy();
        output.destroy();
      }
    });

    test('the same inputs give the same reference and upload nothing; a script change uploads the script layer and the config', async () => {
      const uploads = () =>
        registry.requests.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')).length;
      const before = uploads();
      const again = await build('echo', 'fn/echo');
      assert.equal(again.reference, echoReference);
      assert.equal(uploads(), before);
      appendFileSync(join(service, 'scripts', 'echo.sh'), 'echo changed\n');
      const changed = await build('echo', 'fn/echo');
      assert.notEqual(changed.reference, echoReference);
      assert.equal(uploads() - before, 2, 'the script layer and the config');
      assert.match(changed.output, /Image of echo pushed: 0\.0 MB in 2 blob\(s\) uploaded/);
    });

    test('with runtime.image, Node.js comes from a Node.js image of the registry: the very runtime layer of the same binary given directly, and the entrypoint answers', async () => {
      if (process.arch !== 'x64') return;
      const nodeImage = await loadNodeImage(registry, hostNodeLibraries());
      const direct = await build('echo', 'fn/echo');
      const fromImage = await build('echo', 'fn/echo-node-image', {
        config: 'serverless-image-runtime.yml',
        env: { RUNTIME_IMAGE: nodeImage },
      });
      const layers = async (reference: string) =>
        (await inspectImage<{ layers: { digest: string }[] }>(registry, reference, 'manifest')).layers.map(
          (l) => l.digest,
        );
      const history = await inspectImage<{ history: { comment?: string }[] }>(
        registry,
        fromImage.reference,
        'config',
      );
      assert.ok(
        history.history.some((h) => h.comment?.startsWith(`the Node.js runtime (${nodeImage}, sha256:`)),
        JSON.stringify(history.history),
      );
      // The busybox base has one layer; the runtime comes next.
      assert.equal((await layers(fromImage.reference))[1], (await layers(direct.reference))[1]);
      const answer = await pingEcho(fromImage.reference, 'echo-node-image', 'r2');
      assert.match(answer, new RegExp(`^hello from ${LAMBDA_UID} on a read-only root`));
    });

    for (const framework of ['osls', 'serverless'] as const) {
      test(`sls package (${framework}) writes ImageUri pinned by the digest of the assembled image, for the function and its Batch job`, async () => {
        const result = await runSls(framework, ['package'], { cwd: service, env, timeoutMs: 300_000 });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        const template = JSON.parse(
          readFileSync(join(service, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
        ) as {
          Resources: Record<string, { Properties: Record<string, unknown> }>;
        };
        const upper = (
          template.Resources.UpperLambdaFunction!.Properties.Code as { ImageUri: { 'Fn::Sub': string } }
        ).ImageUri;
        assert.match(
          upper['Fn::Sub'],
          /^\$\{AWS::AccountId\}\.dkr\.ecr\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/serverless-continuum\/continuum-registry-dev@sha256:[a-f0-9]{64}$/,
        );
        const job = template.Resources.UpperBatchJobDefinition!.Properties as {
          ContainerProperties: { Image: unknown };
        };
        assert.deepEqual(job.ContainerProperties.Image, upper);
        const echo = (
          template.Resources.EchoLambdaFunction!.Properties.Code as { ImageUri: { 'Fn::Sub': string } }
        ).ImageUri;
        assert.equal(
          echo['Fn::Sub'].split('@')[1],
          (await build('echo', 'fn/echo')).reference.split('@')[1],
          'package and build assemble the same image',
        );
      });
    }
  },
);

test('the registry builder end-to-end tests run here or say how to install what they need', (t) => {
  if (!needImageTools(t)) return;
  if (!isRoot) {
    if (process.env.CI === 'true')
      throw new Error('CI must run the image tests as root (they run a container)');
    t.skip('runs a container: needs root for its mount namespace');
  }
});
