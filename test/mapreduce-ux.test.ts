// What a mapreduce user sees on the command line (real CLI): local runs of two jobs on one file, what
// `sls package` added, config errors that name the key, a bare `sls mapreduce`, the cost's region.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLUGIN_METADATA_KEY } from '@serverless-continuum/core/cfn';
import { packageService, packageServiceFails } from './harness/sls';
import { REPO_ROOT, runSls, sampleText } from '../plugins/mapreduce/test/cli';

const FIXTURE = join(__dirname, 'fixtures', 'mapreduce-wordcount');
const work = join(REPO_ROOT, '.tmp', 'fixtures', `mapreduce-ux-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the word-count service, with `edit` applied to its serverless.yml. */
function serviceCopy(edit: (yml: string) => string = (yml) => yml): string {
  const dir = join(work, `service-${randomBytes(3).toString('hex')}`);
  cpSync(FIXTURE, dir, { recursive: true });
  const file = join(dir, 'serverless.yml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const text = join(work, 'corpus.txt');
writeFileSync(text, sampleText(500));

describe('local runs of two jobs on the same file', () => {
  test('never share a run or its folder: the second job does not replace the first one’s result', async () => {
    const service = serviceCopy();
    const words = await runSls(
      'osls',
      ['mapreduce', 'run', '--job', 'wordcount', '--input', text, '--local'],
      {
        cwd: service,
      },
    );
    assert.equal(words.code, 0, words.stderr + words.stdout);
    const wordsRun = /Run (\S+) of job wordcount succeeded/.exec(words.stdout)![1]!;
    // `means` reads JSON lines: on a text file it fails, and writes its _FAILED.json.
    const means = await runSls('osls', ['mapreduce', 'run', '--job', 'means', '--input', text, '--local'], {
      cwd: service,
    });
    assert.notEqual(means.code, 0);
    const meansRun = /run (\S+) of job means/.exec(means.stdout + means.stderr)![1]!;
    assert.notEqual(meansRun, wordsRun);
    const output = join(service, 'mapreduce-output');
    assert.deepEqual(
      readdirSync(join(output, wordsRun)).filter((f) => f.startsWith('_')),
      ['_SUCCESS.json'],
    );
    assert.deepEqual(readdirSync(join(output, meansRun)), ['_FAILED.json']);

    const status = await runSls('osls', ['mapreduce', 'status', '--job', 'wordcount', '--local'], {
      cwd: service,
    });
    assert.equal(status.code, 0, status.stderr + status.stdout);
    assert.match(status.stdout, new RegExp(`^ {2}${escape(wordsRun)} +succeeded`, 'm'));
    assert.doesNotMatch(status.stdout, /failed/);
    assert.doesNotMatch(status.stdout, new RegExp(escape(meansRun)));
    const meansStatus = await runSls('osls', ['mapreduce', 'status', '--job', 'means', '--local'], {
      cwd: service,
    });
    assert.match(meansStatus.stdout, new RegExp(`^ {2}${escape(meansRun)} +failed`, 'm'));
    assert.doesNotMatch(meansStatus.stdout, new RegExp(escape(wordsRun)));
  });
});

describe('sls package tells what mapreduce added', () => {
  test('one line for the plugin, and each resource with its type under --verbose', async () => {
    const { template, stdout, stderr } = await packageService(FIXTURE, 'serverless', { args: ['--verbose'] });
    const output = stdout + stderr;
    const own = Object.entries(template.Resources).filter(
      ([, r]) => r.Metadata?.[PLUGIN_METADATA_KEY] === 'mapreduce',
    );
    const tables = own.filter(([, r]) => r.Type === 'AWS::DynamoDB::Table').length;
    const roles = own.filter(([, r]) => r.Type === 'AWS::IAM::Role').length;
    assert.equal(tables, 2);
    // Two jobs, each a coordinator, a mapper and a reducer: compiled by the framework, added by the plugin.
    assert.match(
      output,
      new RegExp(
        `^mapreduce added 6 functions, 2 tables(?:,| and) ${roles} roles(?: and \\d+ other resources?)?:$`,
        'm',
      ),
    );
    for (const [id, resource] of own) {
      assert.match(output, new RegExp(`^ {2}${id} +${escape(resource.Type)}$`, 'm'));
    }
    assert.match(output, /^ {2}WordcountDashmrDashmapperLambdaFunction +AWS::Lambda::Function$/m);
  });
});

describe('config errors name the key and the rule', () => {
  test('an invalid job name', async () => {
    const service = serviceCopy((yml) => yml.replace(/^ {4}wordcount:$/m, '    word_count:'));
    const run = await packageServiceFails(service, 'osls');
    const output = run.stdout + run.stderr;
    assert.match(
      output,
      /custom\.mapreduce\.word_count: job names start with a letter and use letters, digits and "-" \(at most 40 characters\)/,
    );
    assert.doesNotMatch(output, /property name must be valid/);
  });

  test('an export the module does not have, at package time', async () => {
    const service = serviceCopy((yml) => yml.replace('map: src/wordcount.map', 'map: src/wordcount.mapp'));
    const run = await packageServiceFails(service, 'osls');
    const output = run.stdout + run.stderr;
    assert.match(output, /custom\.mapreduce\.wordcount\.map: src\/wordcount\.ts has no export "mapp"/);
    assert.doesNotMatch(output, /continuum-entry/);
  });

  test('an export the module does not have, in a local run', async () => {
    const service = serviceCopy((yml) => yml.replace('map: src/wordcount.map', 'map: src/wordcount.mapp'));
    const run = await runSls('osls', ['mapreduce', 'run', '--job', 'wordcount', '--input', text, '--local'], {
      cwd: service,
    });
    assert.notEqual(run.code, 0);
    assert.match(
      run.stdout + run.stderr,
      /custom\.mapreduce\.wordcount\.map: src\/wordcount\.ts has no exported function "mapp"/,
    );
  });
});

for (const framework of ['serverless', 'osls'] as const) {
  test(`sls mapreduce with no subcommand lists the subcommands (${framework})`, async () => {
    const run = await runSls(framework, ['mapreduce'], { cwd: FIXTURE });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const output = run.stdout + run.stderr;
    assert.match(
      output,
      /^ {2}sls mapreduce run +Run a job on a file or an S3 object and print its report$/m,
    );
    assert.match(output, /^ {2}sls mapreduce status +List a job's runs/m);
    assert.match(output, /^ {2}sls mapreduce logs +Show a job's CloudWatch logs/m);
  });
}

test("a local run's cost estimate is priced in the service's region", async () => {
  const service = serviceCopy();
  const run = await runSls(
    'osls',
    ['mapreduce', 'run', '--job', 'wordcount', '--input', text, '--local', '--region', 'eu-central-1'],
    { cwd: service },
  );
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(
    run.stdout,
    /^ {2}cost +~\$\d+\.\d+ on AWS \(eu-central-1 prices of \d{4}-\d{2}, local durations priced as Lambda\)$/m,
  );
  const runId = /Run (\S+) of job wordcount succeeded/.exec(run.stdout)![1]!;
  const report = JSON.parse(readFileSync(join(service, 'mapreduce-output', runId, '_SUCCESS.json'), 'utf8'));
  assert.equal(report.cost.region, 'eu-central-1');
  assert.equal(report.cost.pricesRegion, 'eu-central-1');
  assert.ok(existsSync(join(service, 'mapreduce-output', runId)));
});
