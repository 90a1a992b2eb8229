// What the plugins tell the user on the command line, shared in core: misspelt custom blocks, the packaged
// resources, the subcommands of a bare command, and the AWS SDK's Node.js warning.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  nearMissKeys,
  nodeSupportWarningLine,
  pluginResources,
  resourceLines,
  subcommandLines,
  summaryLine,
  warnMisspeltCustomBlock,
  type ServerlessLike,
} from '../src/serverless';
import { PLUGIN_METADATA_KEY, type CfnTemplate } from '../src/cfn';

describe('near misses of a plugin block under custom', () => {
  test('catches a different case and a small typo, never the block itself or unrelated keys', () => {
    assert.deepEqual(nearMissKeys(['mapReduce', 'mapreduce', 'mapreduse', 'webpack', 'map'], 'mapreduce'), [
      'mapReduce',
      'mapreduse',
    ]);
    assert.deepEqual(
      nearMissKeys(['containerlambda', 'container-lambda', 'containerLambda', 'esbuild'], 'containerLambda'),
      ['containerlambda', 'container-lambda'],
    );
    assert.deepEqual(nearMissKeys(['tasks', 'TASCAAS', 'tascas'], 'tascaas'), ['TASCAAS', 'tascas']);
  });

  test('warns with the key found and the block the plugin reads', () => {
    const warnings: string[] = [];
    const serverless = { service: { custom: { mapReduce: { wordcount: {} } } } } as unknown as ServerlessLike;
    warnMisspeltCustomBlock(serverless, 'mapreduce', 'mapreduce', (m) => warnings.push(m));
    assert.deepEqual(warnings, [
      'custom.mapReduce is not read by the mapreduce plugin, which reads custom.mapreduce: did you mean custom.mapreduce?',
    ]);
  });
});

describe('what a plugin added to the packaged template', () => {
  const template: CfnTemplate = {
    Resources: {
      RunTable: { Type: 'AWS::DynamoDB::Table', Metadata: { [PLUGIN_METADATA_KEY]: 'mapreduce' } },
      CoordinatorRole: { Type: 'AWS::IAM::Role', Metadata: { [PLUGIN_METADATA_KEY]: 'mapreduce' } },
      MapperRole: { Type: 'AWS::IAM::Role', Metadata: { [PLUGIN_METADATA_KEY]: 'mapreduce' } },
      TempRule: { Type: 'AWS::S3::BucketPolicy', Metadata: { [PLUGIN_METADATA_KEY]: 'mapreduce' } },
      CoordinatorLambdaFunction: { Type: 'AWS::Lambda::Function' },
      CoordinatorLogGroup: { Type: 'AWS::Logs::LogGroup' },
      OtherLambdaFunction: { Type: 'AWS::Lambda::Function' },
      OtherBucket: { Type: 'AWS::S3::Bucket', Metadata: { [PLUGIN_METADATA_KEY]: 'container-lambda' } },
    },
  };

  test('counts its own resources and the functions it added, by kind, in one line', () => {
    const added = pluginResources(template, 'mapreduce', ['CoordinatorLambdaFunction']);
    assert.equal(
      summaryLine('mapreduce', added),
      'mapreduce added 1 function, 1 table, 2 roles and 1 other resource',
    );
    assert.equal(
      summaryLine('container-lambda', pluginResources(template, 'container-lambda')),
      'container-lambda added 1 bucket',
    );
    assert.equal(summaryLine('tascaas', pluginResources(template, 'tascaas')), undefined);
  });

  test('lists each resource with its type, in columns', () => {
    assert.deepEqual(resourceLines(pluginResources(template, 'mapreduce', ['CoordinatorLambdaFunction'])), [
      '  RunTable                   AWS::DynamoDB::Table',
      '  CoordinatorRole            AWS::IAM::Role',
      '  MapperRole                 AWS::IAM::Role',
      '  CoordinatorLambdaFunction  AWS::Lambda::Function',
      '  TempRule                   AWS::S3::BucketPolicy',
    ]);
  });
});

test('a bare command lists its subcommands with their usage', () => {
  assert.deepEqual(
    subcommandLines('mapreduce', {
      usage: 'Run MapReduce jobs',
      commands: { run: { usage: 'Run a job' }, status: { usage: "List a job's runs" } },
    }),
    [
      'Run MapReduce jobs',
      '',
      'Commands:',
      '  sls mapreduce run     Run a job',
      "  sls mapreduce status  List a job's runs",
      '',
      'sls mapreduce <command> --help lists the options of one.',
    ],
  );
});

describe("the AWS SDK's Node.js version warning", () => {
  const SDK_WARNING = `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
versions published after the first week of January 2027
will require node >=22. You are running node v20.20.2.

To continue receiving updates to AWS services, bug fixes,
and security updates please upgrade to node >=22.

More information can be found at: https://a.co/c895JFp`;

  test('becomes one line', () => {
    assert.equal(
      nodeSupportWarningLine(SDK_WARNING),
      'AWS SDK for JavaScript v3 releases after the first week of January 2027 need Node.js >= 22; this is Node.js v20.20.2 (https://a.co/c895JFp)',
    );
    assert.equal(nodeSupportWarningLine('ExperimentalWarning: something else'), undefined);
  });

  test('is said once per process, however many SDK copies emit it; other warnings pass', () => {
    const script = `
      const { pluginUtils } = require(${JSON.stringify(join(__dirname, '..', 'src', 'serverless'))});
      pluginUtils({ log: Object.assign(() => {}, { warning: (m) => process.stderr.write('WARN ' + m + '\\n') }) });
      pluginUtils({ log: Object.assign(() => {}, { warning: (m) => process.stderr.write('SECOND ' + m + '\\n') }) });
      process.emitWarning(${JSON.stringify(SDK_WARNING)});
      process.emitWarning(${JSON.stringify(SDK_WARNING)});
      process.emitWarning('something else', 'OtherWarning');
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stderr.split('\n').filter(Boolean);
    assert.equal(lines.filter((l) => l.includes('AWS SDK')).length, 1, run.stderr);
    assert.match(
      lines[0]!,
      /^WARN AWS SDK for JavaScript v3 releases .* need Node\.js >= 22; this is Node\.js v20/,
    );
    assert.ok(
      lines.some((l) => /OtherWarning: something else/.test(l)),
      run.stderr,
    );
    assert.ok(!run.stderr.includes('To continue receiving updates'), run.stderr);
  });
});
