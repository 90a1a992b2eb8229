// container-lambda through the real CLI: the starter template (create, package, run --local), the build
// context command, `sls invoke local`, and put / ls / get against a local S3 server (s3rver).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageService } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig, startS3rver } from './harness/services';
import { REPO_ROOT, runSls } from '../plugins/container-lambda/test/cli';

const FIXTURES = join(__dirname, 'fixtures');
// Inside the repo, so created services resolve the plugin from the repo's node_modules.
const work = join(REPO_ROOT, '.tmp', 'fixtures', `container-cli-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });
after(() => rmSync(work, { recursive: true, force: true }));

// A valid 1x1 PNG, so ImageMagick (when installed) has a real image to convert.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const photo = join(work, 'photo 1.png');
writeFileSync(photo, PNG);

/** Commands that write (`invoke local` writes its handler under .serverless) run in a copy of the fixture. */
function copyOf(fixture: string): string {
  const dir = join(work, `${fixture}-${randomBytes(3).toString('hex')}`);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

describe('templates/container-lambda', () => {
  const service = join(work, 'starter');

  test('sls create --template-path makes a service that packages offline', async () => {
    const created = await runSls(
      'serverless',
      ['create', '--template-path', join(REPO_ROOT, 'templates', 'container-lambda'), '--path', service],
      { cwd: REPO_ROOT },
    );
    assert.equal(created.code, 0, created.stderr + created.stdout);
    assert.ok(existsSync(join(service, 'scripts', 'grayify.sh')));
    const { template } = await packageService(service, 'osls');
    validateTemplate(template);
    const fn = template.Resources.GrayifyLambdaFunction?.Properties as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(fn.PackageType, 'Image');
    assert.equal(fn.Environment.Variables.CONTINUUM_EXECUTION, 'lambda-batch');
    assert.equal(fn.Environment.Variables.CONTINUUM_FALLBACK_INPUT_BYTES, '52428800');
    assert.ok(template.Resources.GrayifyBatchJobDefinition);
    assert.ok(template.Resources.S3BucketMyDashgrayifyDashbucket);
  });

  test('sls container run --local writes exactly what the cloud run would upload', async () => {
    const out = join(work, 'starter-out');
    const run = await runSls(
      'osls',
      ['container', 'run', '-f', 'grayify', '--file', photo, '--local', '--out', out],
      {
        cwd: service,
      },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(readdirSync(out), ['photo 1-gray.png']);
    assert.match(run.stdout + run.stderr, /grayify ran locally: 1 file\(s\) in/);
  });
});

describe('sls container context', () => {
  test('writes the Dockerfile, the supervisor and the script for a CI build (serverless)', async () => {
    const out = join(work, 'context');
    const run = await runSls('serverless', ['container', 'context', '-f', 'grayify', '--out', out], {
      cwd: copyOf('container-lambda-errors'),
      env: { CASE: 'docker' },
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(readdirSync(out).sort(), ['.dockerignore', 'Dockerfile', 'script.sh', 'supervisor.js']);
    assert.match(
      readFileSync(join(out, 'Dockerfile'), 'utf8'),
      /^FROM --platform=linux\/amd64 grycap\/imagemagick$/m,
    );
    assert.equal(
      readFileSync(join(out, 'script.sh'), 'utf8'),
      readFileSync(join(FIXTURES, 'container-lambda-errors', 'scripts', 'run.sh'), 'utf8'),
    );
    assert.match(run.stdout + run.stderr, /docker build --platform linux\/amd64/);
  });

  test('names the container functions when -f is not one (osls)', async () => {
    const run = await runSls('osls', ['container', 'context', '-f', 'nope', '--out', join(work, 'x')], {
      cwd: join(FIXTURES, 'container-lambda-errors'),
      env: { CASE: 'docker' },
    });
    assert.notEqual(run.code, 0);
    assert.match(
      run.stdout + run.stderr,
      /functions\.nope: is not a container function \(container functions: grayify\)/,
    );
  });
});

describe('sls invoke local', () => {
  for (const framework of ['serverless', 'osls'] as const) {
    test(`runs the script on an S3 event with local folders as buckets (${framework})`, async () => {
      const storage = join(work, `storage-${framework}`);
      mkdirSync(join(storage, 'continuum-images', 'in'), { recursive: true });
      writeFileSync(join(storage, 'continuum-images', 'in', 'cat.png'), PNG);
      const event = join(work, `event-${framework}.json`);
      writeFileSync(
        event,
        JSON.stringify({
          Records: [
            {
              eventSource: 'aws:s3',
              eventName: 'ObjectCreated:Put',
              eventTime: '2026-11-27T00:00:00.000Z',
              s3: { bucket: { name: 'continuum-images' }, object: { key: 'in/cat.png', size: PNG.length } },
            },
          ],
        }),
      );
      const run = await runSls(framework, ['invoke', 'local', '-f', 'grayify', '--path', event], {
        cwd: copyOf('container-lambda'),
        env: { CONTINUUM_LOCAL_STORAGE: storage },
      });
      assert.equal(run.code, 0, run.stderr + run.stdout);
      assert.deepEqual(readdirSync(join(storage, 'continuum-images', 'out')), ['gray-cat.png']);
    });
  }
});

describe('sls invoke local, HTTP', () => {
  test('answers an API Gateway call with the script stdout, the body being the input file (osls)', async () => {
    const event = join(work, 'http-event.json');
    writeFileSync(
      event,
      JSON.stringify({
        httpMethod: 'POST',
        path: '/detect',
        headers: { 'content-type': 'image/png' },
        requestContext: { requestId: 'r-1' },
        isBase64Encoded: true,
        body: PNG.toString('base64'),
      }),
    );
    const run = await runSls('osls', ['invoke', 'local', '-f', 'detect', '--path', event], {
      cwd: copyOf('container-lambda'),
      env: { CONTINUUM_LOCAL_STORAGE: join(work, 'storage-http') },
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const response = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
      statusCode: number;
      body: string;
    };
    assert.equal(response.statusCode, 200);
    assert.match(Buffer.from(response.body, 'base64').toString('utf8'), /^grayified .+ at quality default$/m);
  });
});

describe('sls container put / ls / get against a local S3 server', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  // s3rver's own access key; the plugin reaches it through CONTINUUM_S3_ENDPOINT (path-style).
  const env = () => ({
    CONTINUUM_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });
  const cwd = join(FIXTURES, 'container-lambda');
  before(async () => {
    s3 = await startS3rver({ buckets: ['continuum-images'] });
  });
  after(async () => {
    await s3?.close();
  });

  test('put uploads to the input prefix; ls lists input and output; get downloads the outputs', async () => {
    const put = await runSls('osls', ['container', 'put', '-f', 'grayify', '--file', photo], {
      cwd,
      env: env(),
    });
    assert.equal(put.code, 0, put.stderr + put.stdout);
    assert.match(put.stdout + put.stderr, /Uploaded s3:\/\/continuum-images\/in\/photo 1\.png/);
    const client = new S3Client(s3ClientConfig(s3.endpoint));
    const stored = await client.send(
      new GetObjectCommand({ Bucket: 'continuum-images', Key: 'in/photo 1.png' }),
    );
    assert.deepEqual(Buffer.from(await stored.Body!.transformToByteArray()), PNG);
    // What the function would have written.
    await client.send(
      new PutObjectCommand({ Bucket: 'continuum-images', Key: 'out/sub/gray-photo 1.png', Body: 'gray' }),
    );

    const ls = await runSls('serverless', ['container', 'ls', '-f', 'grayify'], { cwd, env: env() });
    assert.equal(ls.code, 0, ls.stderr + ls.stdout);
    assert.match(ls.stdout, /^input s3:\/\/continuum-images\/in\/ \(1 objects\)$/m);
    assert.match(ls.stdout, new RegExp(`^  photo 1\\.png\\t${PNG.length}\\t`, 'm'));
    assert.match(ls.stdout, /^output s3:\/\/continuum-images\/out\/ \(1 objects\)$/m);

    const out = join(work, 'got');
    const get = await runSls('serverless', ['container', 'get', '-f', 'grayify', '--out', out], {
      cwd,
      env: env(),
    });
    assert.equal(get.code, 0, get.stderr + get.stdout);
    assert.equal(readFileSync(join(out, 'sub', 'gray-photo 1.png'), 'utf8'), 'gray');
  });

  test('run uploads the file, waits for the outputs written after the upload, and downloads them', async () => {
    const client = new S3Client(s3ClientConfig(s3.endpoint));
    const out = join(work, 'ran');
    const since = Math.floor(Date.now() / 1000) * 1000;
    const running = runSls(
      'osls',
      ['container', 'run', '-f', 'grayify', '--file', photo, '--out', out, '--wait', '60'],
      {
        cwd,
        env: env(),
      },
    );
    // Play the deployed function: once the upload lands, write a result under the output prefix.
    const started = await waitFor(async () => {
      try {
        const head = await client.send(
          new GetObjectCommand({ Bucket: 'continuum-images', Key: 'in/photo 1.png' }),
        );
        return head.LastModified !== undefined && head.LastModified.getTime() >= since;
      } catch {
        return false;
      }
    });
    assert.ok(started, 'the CLI uploaded the file');
    await client.send(
      new PutObjectCommand({ Bucket: 'continuum-images', Key: 'out/photo 1-gray.png', Body: 'result' }),
    );
    const run = await running;
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(readFileSync(join(out, 'photo 1-gray.png'), 'utf8'), 'result');
    assert.equal(existsSync(join(out, 'sub')), false, 'outputs older than the upload are not downloaded');
  });
});

async function waitFor(check: () => Promise<boolean | undefined>, attempts = 120): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
