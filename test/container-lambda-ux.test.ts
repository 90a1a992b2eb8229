// What a container-lambda user sees on the command line (real CLI): a failing script's output, a missing
// file, a bare `sls container`, what `sls package` added, misspelt plugin blocks, the AWS SDK's Node warning.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLUGIN_METADATA_KEY } from '@serverless-continuum/core/cfn';
import { packageService } from './harness/sls';
import { REPO_ROOT, runSls } from '../plugins/container-lambda/test/cli';

const FIXTURES = join(__dirname, 'fixtures');
const work = join(REPO_ROOT, '.tmp', 'fixtures', `container-ux-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });
after(() => rmSync(work, { recursive: true, force: true }));

function copyOf(fixture: string): string {
  const dir = join(work, `${fixture}-${randomBytes(3).toString('hex')}`);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

const input = join(work, 'table.csv');
writeFileSync(input, 'a,b\n1,2\n');

describe('sls container run --local with a failing script', () => {
  test('shows the last lines of its stderr and stdout, and how to see all of them', async () => {
    const run = await runSls('osls', ['container', 'run', '-f', 'convert', '--file', input, '--local'], {
      cwd: copyOf('container-lambda-ux'),
    });
    assert.equal(run.code, 1);
    const output = run.stdout + run.stderr;
    assert.match(output, /convert: the script exited with code 3; nothing was written/);
    assert.match(
      output,
      /last 20 lines of its stderr:\n {2}stderr line 12\n[^]*\n {2}stderr line 30\n {2}convert: no decode delegate for this image format `CSV'\n/,
    );
    assert.doesNotMatch(output, /stderr line 11\n/);
    assert.match(output, /last 10 lines of its stdout:\n {2}stdout line 21\n[^]* {2}stdout line 30\n/);
    assert.doesNotMatch(output, /stdout line 20\n/);
    assert.match(output, /--verbose prints all of both/);
    assert.match(output, /\[CONTINUUM_SCRIPT_FAILED\]/);
  });

  test('with --verbose prints the whole of both streams', async () => {
    const run = await runSls(
      'serverless',
      ['container', 'run', '-f', 'convert', '--file', input, '--local', '--verbose'],
      { cwd: copyOf('container-lambda-ux') },
    );
    assert.equal(run.code, 1);
    const output = run.stdout + run.stderr;
    for (let i = 1; i <= 30; i++) {
      assert.match(output, new RegExp(`^stdout line ${i}$`, 'm'));
      assert.match(output, new RegExp(`^\\[stderr\\] stderr line ${i}$`, 'm'));
    }
    assert.match(output, /convert: the script exited with code 3; nothing was written; its output is above/);
  });
});

test('sls container run --local of a file that does not exist says so, and uploads nothing', async () => {
  const missing = join(work, 'missing.csv');
  const run = await runSls('osls', ['container', 'run', '-f', 'convert', '--file', missing, '--local'], {
    cwd: copyOf('container-lambda-ux'),
  });
  assert.equal(run.code, 1);
  const output = run.stdout + run.stderr;
  assert.match(
    output,
    new RegExp(`--file: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`),
  );
  assert.doesNotMatch(output, /upload/);
});

for (const framework of ['serverless', 'osls'] as const) {
  test(`sls container with no subcommand lists the subcommands (${framework})`, async () => {
    const run = await runSls(framework, ['container'], { cwd: join(FIXTURES, 'container-lambda') });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const output = run.stdout + run.stderr;
    for (const sub of ['context', 'run', 'invoke', 'logs', 'put', 'get', 'ls']) {
      assert.match(output, new RegExp(`^ {2}sls container ${sub} +\\S`, 'm'));
    }
    assert.match(output, /^ {2}sls container run +Upload a file to the input, wait for the outputs/m);
  });
}

describe('sls package tells what container-lambda added', () => {
  test('one line, then each resource with its type under --verbose', async () => {
    const { template, stdout, stderr } = await packageService(join(FIXTURES, 'container-lambda'), 'osls', {
      args: ['--verbose'],
    });
    const output = stdout + stderr;
    const own = Object.entries(template.Resources).filter(
      ([, r]) => r.Metadata?.[PLUGIN_METADATA_KEY] === 'container-lambda',
    );
    const roles = own.filter(([, r]) => r.Type === 'AWS::IAM::Role').length;
    const buckets = own.filter(([, r]) => r.Type === 'AWS::S3::Bucket').length;
    assert.ok(roles > 0 && buckets > 0);
    const line = new RegExp(
      `^container-lambda added 4 functions, ${buckets} buckets?(?:,| and) ${roles} roles?(?: and \\d+ other resources?)?:$`,
      'm',
    );
    assert.match(output, line);
    for (const [id, resource] of own) {
      assert.match(output, new RegExp(`^ {2}${id} +${resource.Type.replace(/\./g, '\\.')}$`, 'm'));
    }
    assert.match(output, /^ {2}GrayifyLambdaFunction +AWS::Lambda::Function$/m);
  });

  test('without --verbose, only the line', async () => {
    const { stdout, stderr } = await packageService(join(FIXTURES, 'container-lambda'), 'serverless');
    const output = stdout + stderr;
    assert.match(output, /^container-lambda added 4 functions, .*\(sls package --verbose lists them\)$/m);
    assert.doesNotMatch(output, /^ {2}GrayifyLambdaFunction +AWS::Lambda::Function$/m);
  });
});

test('a misspelt plugin block is named with the one the plugin reads (both plugins)', async () => {
  const run = await runSls('osls', ['print'], { cwd: join(FIXTURES, 'misspelt-blocks') });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const output = run.stdout + run.stderr;
  assert.match(
    output,
    /custom\.containerlambda is not read by the container-lambda plugin, which reads custom\.containerLambda: did you mean custom\.containerLambda\?/,
  );
  assert.match(
    output,
    /custom\.mapReduce is not read by the mapreduce plugin, which reads custom\.mapreduce: did you mean custom\.mapreduce\?/,
  );
});

const nodeMajor = Number(process.versions.node.split('.')[0]);

test(
  "a cloud command says the AWS SDK's Node.js warning once, in one line",
  { skip: nodeMajor >= 22 && 'the SDK warns only below Node.js 22' },
  async () => {
    const run = await runSls('osls', ['container', 'ls', '-f', 'grayify'], {
      cwd: join(FIXTURES, 'container-lambda'),
      // Nothing listens there: the command fails after its S3 client exists, which is when the SDK warns.
      env: { CONTINUUM_S3_ENDPOINT: 'http://127.0.0.1:9' },
    });
    const output = run.stdout + run.stderr;
    const lines = output.split('\n').filter((l) => /AWS SDK for JavaScript/.test(l));
    assert.equal(lines.length, 1, output);
    assert.match(
      lines[0]!,
      /AWS SDK for JavaScript v3 releases .* need Node\.js >= 22; this is Node\.js v\d+/,
    );
    assert.doesNotMatch(output, /To continue receiving updates|--trace-warnings/);
  },
);
