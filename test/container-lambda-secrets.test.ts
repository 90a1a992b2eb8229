// `sls package` of container functions with `container.secrets`, under serverless@3 and osls: the template holds
// the references only (the supervisor and Batch read the values at run time), and IAM reads exactly those.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService, packageServiceFails, REPO_ROOT, runSls, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';
import { resource, roleStatements } from './harness/template-parts';

const FIXTURE = join(__dirname, 'fixtures', 'container-lambda-secrets');

function secretStatements(template: CfnTemplate, roleId: string) {
  return roleStatements(template, roleId)
    .filter((s) => s.Action.some((a) => /^(ssm|secretsmanager|kms):/.test(a)))
    .map((s) => [s.Action, s.Resource, s.Condition]);
}

const sub = (value: string) => ({ 'Fn::Sub': value });
const ssm = (path: string) =>
  sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${path}`);
const SHARED_TOKEN = 'arn:aws:ssm:eu-west-1:210987654321:parameter/shared/token';
const DB_CREDENTIALS = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lab/db-AbCdEf';
const LICENSE = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:render/license-XyZ123';
const OWN_KEYS = sub('arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*');

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`container secrets packaged by ${framework}`, () => {
    let template: CfnTemplate;
    before(async () => {
      ({ template } = await packageService(FIXTURE, framework));
    });

    test('the template matches the AWS resource specification', () => {
      validateTemplate(template);
    });

    test('Lambda: the function environment holds the references only, under CONTINUUM_SECRETS', () => {
      const vars = resource(template, 'ReaderLambdaFunction').Properties.Environment.Variables;
      assert.deepEqual(JSON.parse(vars.CONTINUUM_SECRETS), {
        ssm: { API_KEY: 'api-key', DB_PASSWORD: '/lab/db/password', SHARED_TOKEN },
        secretsmanager: { DB_CREDENTIALS },
      });
      assert.equal(vars.CONTINUUM_USER_ENV, 'QUALITY', 'secrets are not plain variables');
      for (const name of ['API_KEY', 'DB_CREDENTIALS', 'DB_PASSWORD', 'SHARED_TOKEN']) {
        assert.equal(vars[name], undefined, `${name} is not a variable of the function`);
      }
    });

    test('Lambda: the role reads exactly those parameters and secrets, and decrypts only them', () => {
      assert.deepEqual(secretStatements(template, 'ReaderContainerRole'), [
        [['ssm:GetParameter'], [ssm('api-key'), ssm('lab/db/password'), SHARED_TOKEN], undefined],
        [['secretsmanager:GetSecretValue'], [DB_CREDENTIALS], undefined],
        [
          ['kms:Decrypt'],
          [OWN_KEYS, 'arn:aws:kms:eu-west-1:210987654321:key/*'],
          {
            StringEquals: {
              'kms:EncryptionContext:PARAMETER_ARN': [ssm('api-key'), ssm('lab/db/password'), SHARED_TOKEN],
            },
            StringLike: { 'kms:ViaService': 'ssm.*.amazonaws.com' },
          },
        ],
        [
          ['kms:Decrypt'],
          ['arn:aws:kms:us-east-1:123456789012:key/*'],
          {
            StringEquals: { 'kms:EncryptionContext:SecretARN': [DB_CREDENTIALS] },
            StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' },
          },
        ],
      ]);
    });

    test('Batch: the job definition takes the secrets with Secrets/ValueFrom, read by its execution role', () => {
      const container = resource(template, 'RenderBatchJobDefinition').Properties.ContainerProperties;
      assert.deepEqual(container.Secrets, [
        { Name: 'DB_PASSWORD', ValueFrom: ssm('lab/db/password') },
        { Name: 'LICENSE', ValueFrom: LICENSE },
      ]);
      assert.deepEqual(container.ExecutionRoleArn, { 'Fn::GetAtt': ['RenderBatchExecutionRole', 'Arn'] });
      const environment = Object.fromEntries(
        container.Environment.map((v: { Name: string; Value: unknown }) => [v.Name, v.Value]),
      );
      assert.deepEqual(JSON.parse(environment.CONTINUUM_SECRETS), {
        ssm: { DB_PASSWORD: '/lab/db/password' },
        secretsmanager: { LICENSE },
      });
      assert.equal(environment.CONTINUUM_MODE, 'batch');
      assert.equal(environment.DB_PASSWORD, undefined);
      assert.equal(environment.LICENSE, undefined);

      const role = resource(template, 'RenderBatchExecutionRole').Properties;
      assert.deepEqual(role.AssumeRolePolicyDocument.Statement[0].Principal, {
        Service: ['ecs-tasks.amazonaws.com'],
      });
      assert.deepEqual(role.ManagedPolicyArns, [
        sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'),
      ]);
      // The ECS agent fetches Batch secrets with GetParameters (plural).
      assert.deepEqual(secretStatements(template, 'RenderBatchExecutionRole').slice(0, 2), [
        [['ssm:GetParameters'], [ssm('lab/db/password')], undefined],
        [['secretsmanager:GetSecretValue'], [LICENSE], undefined],
      ]);
    });

    test("Batch: the job's own role (the script's) gets no secret access; the Lambda role reads for lambda-batch", () => {
      assert.deepEqual(secretStatements(template, 'RenderBatchJobRole'), []);
      assert.deepEqual(secretStatements(template, 'RenderContainerRole').slice(0, 2), [
        [['ssm:GetParameter'], [ssm('lab/db/password')], undefined],
        [['secretsmanager:GetSecretValue'], [LICENSE], undefined],
      ]);
    });

    test('execution: batch: only the Batch job reads the secrets; the Lambda that hands events on cannot', () => {
      assert.deepEqual(secretStatements(template, 'CrunchContainerRole'), []);
      assert.deepEqual(
        resource(template, 'CrunchBatchJobDefinition').Properties.ContainerProperties.Secrets,
        [{ Name: 'DB_PASSWORD', ValueFrom: ssm('lab/db/password') }],
      );
      assert.deepEqual(secretStatements(template, 'CrunchBatchExecutionRole')[0], [
        ['ssm:GetParameters'],
        [ssm('lab/db/password')],
        undefined,
      ]);
    });

    test('no policy of the plugin grants a "*" resource', () => {
      const ours = Object.entries(template.Resources).filter(
        ([, r]) =>
          (r.Metadata as Record<string, unknown> | undefined)?.['serverless-continuum:plugin'] ===
          'container-lambda',
      );
      assert.ok(ours.some(([id]) => id === 'RenderBatchExecutionRole'));
      for (const [id, r] of ours) {
        assert.doesNotMatch(JSON.stringify(r.Properties), /"Resource":\s*\[?\s*"\*"/, `${id} grants *`);
      }
    });
  });
}

describe('container secrets in local runs (the values come from this shell)', () => {
  // Inside the repo, so the copy resolves the plugin from the repo's node_modules.
  const work = join(REPO_ROOT, '.tmp', 'fixtures', `container-secrets-${randomBytes(4).toString('hex')}`);
  const service = join(work, 'service');
  before(() => {
    mkdirSync(work, { recursive: true });
    cpSync(FIXTURE, service, { recursive: true });
    writeFileSync(join(work, 'frame.txt'), 'frame');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('sls container run --local refuses to run without a secret set, naming it, and never shows a value (osls)', async () => {
    const run = await runSls(
      'osls',
      [
        'container',
        'run',
        '-f',
        'render',
        '--file',
        join(work, 'frame.txt'),
        '--local',
        '--out',
        join(work, 'out'),
      ],
      { cwd: service, env: { DB_PASSWORD: 'shell-db-value' } },
    );
    const output = run.stdout + run.stderr;
    assert.notEqual(run.code, 0, output);
    assert.match(
      output,
      /secret LICENSE \(Secrets Manager secret arn:aws:secretsmanager:us-east-1:123456789012:secret:render\/license-XyZ123\) is not set: a local run reads no AWS secret; export LICENSE/,
    );
    assert.doesNotMatch(output, /shell-db-value/);
  });

  test('sls container run --local gives the script the values of the variables of the same name (osls)', async () => {
    const out = join(work, 'out-ok');
    const run = await runSls(
      'osls',
      ['container', 'run', '-f', 'render', '--file', join(work, 'frame.txt'), '--local', '--out', out],
      { cwd: service, env: { DB_PASSWORD: 'shell-db-value', LICENSE: 'shell-license-value' } },
    );
    const output = run.stdout + run.stderr;
    assert.equal(run.code, 0, output);
    assert.match(output, /render has its secrets/);
    assert.deepEqual(readdirSync(out), ['frame.txt']);
    assert.doesNotMatch(output, /shell-db-value|shell-license-value/);
  });

  test('sls invoke local runs the script with the values of the variables of the same name (serverless)', async () => {
    const run = await runSls(
      'serverless',
      ['invoke', 'local', '-f', 'render', '--data', '{"hello":"world"}'],
      {
        cwd: service,
        env: { DB_PASSWORD: 'shell-db-value', LICENSE: 'shell-license-value' },
      },
    );
    const output = run.stdout + run.stderr;
    assert.equal(run.code, 0, output);
    assert.match(output, /render has its secrets/);
    assert.doesNotMatch(output, /shell-db-value|shell-license-value/);
  });
});

test('sls package refuses an FDL file with storage keys, naming the file and the keys, pointing at container.secrets (osls)', async () => {
  const run = await packageServiceFails(
    join(__dirname, 'fixtures', 'container-lambda-fdl-credentials'),
    'osls',
  );
  const output = run.stdout + run.stderr;
  assert.match(output, /scar\.yaml cannot be imported as is/);
  assert.match(
    output,
    /storage_providers\.s3\.lab\.access_key, storage_providers\.s3\.lab\.secret_key: storage credentials are not taken from an FDL file \(functions\.aws\[0\]\.lambda\.output\[0\]\.storage_provider uses this account\)/,
  );
  assert.match(output, /named in container\.secrets/);
  assert.doesNotMatch(output, /AKIAFDLEXAMPLE|fdl-example-secret-value/);
});
