import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { checkTriggerCycles, resolveBinding } from '@serverless-continuum/core/functions';
import type { ServerlessFunctionConfig } from '@serverless-continuum/core/serverless';
import { resolveSettings, type TascaasSettings } from '../src/config';
import {
  compileFunctions,
  compileOutputs,
  compileResources,
  definitionsBytes,
  functionNamesByRole,
  definitionsVariable,
  infoLines,
  roleStatements,
  runtimeEntry,
  secretStatements,
  secretVariable,
  stackRoleOf,
  triggerUnits,
  workerAdditions,
  workerPolicy,
  workerStatements,
  type FunctionsContext,
} from '../src/compile';

const ctx = { service: 'svc', stage: 'dev' };
const functionsCtx: FunctionsContext = {
  ...ctx,
  runtime: 'nodejs20.x',
  existingFunctions: ['simulate'],
  createdHere: () => false,
};
const settings = resolveSettings(
  {
    montecarlo: {
      worker: 'simulate',
      partitions: 8,
      maxPartitions: 32,
      results: 'results-bucket/montecarlo/',
      input: 'inputs-bucket/montecarlo/',
    },
    pi: { results: 'results-bucket/pi/' },
  },
  { functions: { simulate: {} } },
);
const sub = (s: string) => ({ 'Fn::Sub': s });
const text = (value: unknown) => JSON.stringify(value);

describe('compileFunctions', () => {
  const functions = compileFunctions(functionsCtx, settings);

  test('adds the five functions, each on its own role and handler of the one artifact', () => {
    assert.deepEqual(Object.keys(functions), [
      'tascaasSubmit',
      'tascaasDispatch',
      'tascaasBalance',
      'tascaasMonitor',
      'tascaasStatus',
    ]);
    const submit = functions.tascaasSubmit!;
    assert.equal(submit.name, 'svc-dev-tascaasSubmit');
    assert.equal(submit.handler, 'index.submit');
    assert.equal(submit.runtime, 'nodejs20.x');
    assert.equal(submit.role, 'TascaasSubmitRole');
    assert.deepEqual(submit.package, { individually: true, artifact: '.serverless/tascaas/runtime.zip' });
    assert.equal(
      compileFunctions({ ...functionsCtx, runtime: 'nodejs22.x' }, settings).tascaasStatus!.runtime,
      'nodejs22.x',
    );
  });

  test('routes the wire at the API root: POST /jobs and GET /jobs/{id}, the node API, RUPER-LB’s /lb', () => {
    const routes = (key: string) =>
      (functions[key]!.events ?? []).flatMap((e) => {
        const api = e.httpApi as { method: string; path: string } | undefined;
        return api ? [`${api.method} ${api.path}`] : [];
      });
    assert.deepEqual(routes('tascaasSubmit'), ['POST /jobs']);
    assert.deepEqual(routes('tascaasStatus'), ['GET /jobs/{id}']);
    assert.deepEqual(routes('tascaasBalance'), [
      'GET /lb/{ID}/start',
      'GET /lb/{ID}/report',
      'GET /lb/{ID}/finish',
    ]);
    assert.deepEqual(routes('tascaasDispatch'), [
      'GET /node/register',
      'GET /node/{id}/update',
      'GET /node/{id}/jobs',
      'GET /node/{id}/disconnect',
      'GET /node/{id}/release',
      'GET /results/upload/{ID}/{worker}',
    ]);
    assert.deepEqual(functions.tascaasMonitor!.events, [{ schedule: 'rate(1 minute)' }]);
  });

  test('triggers submit on *.config under each input, balance on .result under each results prefix', () => {
    const s3 = (key: string) => functions[key]!.events!.filter((e) => e.s3).map((e) => e.s3);
    assert.deepEqual(s3('tascaasSubmit'), [
      {
        bucket: 'inputs-bucket',
        event: 's3:ObjectCreated:*',
        rules: [{ prefix: 'montecarlo/' }, { suffix: '.config' }],
        existing: true,
      },
    ]);
    assert.deepEqual(s3('tascaasBalance'), [
      {
        bucket: 'results-bucket',
        event: 's3:ObjectCreated:*',
        rules: [{ prefix: 'montecarlo/' }, { suffix: '.result' }],
        existing: true,
      },
      {
        bucket: 'results-bucket',
        event: 's3:ObjectCreated:*',
        rules: [{ prefix: 'pi/' }, { suffix: '.result' }],
        existing: true,
      },
    ]);
    const here = compileFunctions({ ...functionsCtx, createdHere: () => true }, settings);
    assert.equal(
      (here.tascaasSubmit!.events!.find((e) => e.s3)!.s3 as { existing?: boolean }).existing,
      undefined,
    );
  });

  test('gives each further existing bucket a function of its own, the framework attaching one per function', () => {
    const three = resolveSettings({
      a: { results: 'r1-bucket/a/' },
      b: { results: 'r2-bucket/b/' },
      c: { results: 'r1-bucket/c/' },
      d: { results: 'made-here/d/' },
    });
    const made = compileFunctions(
      { ...functionsCtx, createdHere: (t) => t.location.bucket === 'made-here' },
      three,
    );
    const buckets = (key: string) =>
      made[key]!.events!.filter((e) => e.s3).map(
        (e) => (e.s3 as { bucket: string; rules: unknown[] }).bucket,
      );
    assert.deepEqual(buckets('tascaasBalance'), ['r1-bucket', 'r1-bucket', 'made-here']);
    assert.deepEqual(buckets('tascaasBalance2'), ['r2-bucket']);
    const second = made.tascaasBalance2!;
    assert.equal(second.name, 'svc-dev-tascaasBalance2');
    assert.equal(second.handler, 'index.balance');
    assert.equal(second.role, 'TascaasBalanceRole');
    assert.equal(second.httpApi, undefined, 'no routes: only its bucket’s trigger');
    assert.deepEqual(functionNamesByRole(made).balance, [
      'svc-dev-tascaasBalance',
      'svc-dev-tascaasBalance2',
    ]);
    const logs = roleStatements(ctx, three, 'balance', functionNamesByRole(made).balance).find((s) =>
      s.Action.includes('logs:PutLogEvents'),
    )!;
    assert.equal([logs.Resource].flat().length, 2);
  });

  test('refuses to overwrite a function of the same name, and names longer than Lambda allows', () => {
    assert.throws(
      () => compileFunctions({ ...functionsCtx, existingFunctions: ['tascaasDispatch'] }, settings),
      /^ConfigError: functions\.tascaasDispatch: is reserved for the tascaas dispatch function/,
    );
    assert.throws(
      () =>
        compileFunctions(
          { ...functionsCtx, service: 'a-very-long-service-name-for-science-and-more' },
          settings,
        ),
      /^ConfigError: custom\.tascaas: the function name .* is longer than Lambda's 64 characters/,
    );
  });
});

describe('the environment', () => {
  test('names the table, the scale time and where the secret is, never its value', () => {
    const env = compileFunctions(functionsCtx, settings).tascaasDispatch!.environment!;
    assert.deepEqual(env.TASCAAS_TABLE, { Ref: 'TascaasTable' });
    assert.equal(env.TASCAAS_SCALE_TIME, '300');
    assert.deepEqual(env.TASCAAS_SECRET, sub('secretsmanager:${TascaasSecret}'));
    assert.equal(secretVariable({ source: 'ssm', name: '/t/secret' }), 'ssm:/t/secret');
    assert.equal(secretVariable({ source: 'secretsmanager', id: 'tascaas' }), 'secretsmanager:tascaas');
  });

  test('TASCAAS_DEFINITIONS substitutes only the queue URLs, escaping ${ of the user’s own text', () => {
    const odd = resolveSettings({ j: { results: 'r-bucket/a${b}/' } });
    const value = definitionsVariable(odd) as { 'Fn::Sub': string };
    assert.equal(
      value['Fn::Sub'],
      '{"j":{"name":"j","partitions":1,"maxPartitions":10,"maxAttempts":3,"results":{"bucket":"r-bucket","prefix":"a${!b}/"},' +
        '"queueUrl":"${JTascaasQueue}","deadLetterQueueUrl":"${JTascaasDeadLetterQueue}"}}',
    );
  });
});

describe('workerAdditions', () => {
  test('gives the worker its block’s queue, one partition per invocation, and the service environment', () => {
    const functions: Record<string, ServerlessFunctionConfig> = {
      simulate: { handler: 'h.handler', environment: { OWN: '1' }, events: [{ httpApi: 'GET /x' }] },
    };
    workerAdditions(settings, functions, undefined);
    const fn = functions.simulate!;
    assert.deepEqual(fn.events, [
      { httpApi: 'GET /x' },
      { sqs: { arn: { 'Fn::GetAtt': ['MontecarloTascaasQueue', 'Arn'] }, batchSize: 1 } },
    ]);
    assert.equal(fn.environment!.OWN, '1');
    assert.deepEqual(fn.environment!.TASCAAS_TABLE, { Ref: 'TascaasTable' });
  });

  test('refuses a worker timeout longer than the lease (twice scaleTime), naming the function’s timeout', () => {
    assert.throws(
      () => workerAdditions(settings, { simulate: { handler: 'h', timeout: 900 } }, undefined),
      /^ConfigError: functions\.simulate\.timeout: 900 s is longer than the lease of custom\.tascaas\.montecarlo partitions \(600 s/,
    );
    assert.throws(
      () => workerAdditions(settings, { simulate: { handler: 'h' } }, 700),
      /functions\.simulate\.timeout: 700 s/,
    );
  });
});

describe('compileResources', () => {
  const resources = compileResources(ctx, settings);

  test('a partition queue and dead-letter queue per block, one table, the generated secret, five roles', () => {
    assert.deepEqual(Object.keys(resources).sort(), [
      'MontecarloTascaasDeadLetterQueue',
      'MontecarloTascaasQueue',
      'PiTascaasDeadLetterQueue',
      'PiTascaasQueue',
      'TascaasBalanceRole',
      'TascaasDispatchRole',
      'TascaasMonitorRole',
      'TascaasSecret',
      'TascaasStatusRole',
      'TascaasSubmitRole',
      'TascaasTable',
    ]);
    assert.equal(resources.TascaasTable!.Properties!.TableName, 'svc-dev-tascaas');
    assert.deepEqual(compileOutputs(settings), {
      TascaasSecretArn: {
        Description: 'The tascaas secret (read it with GetSecretValue)',
        Value: { Ref: 'TascaasSecret' },
      },
    });
  });

  test('no secret resource, nor output, when the user keeps the secret', () => {
    const own: TascaasSettings = { ...settings, secret: { source: 'ssm', name: '/t/secret' } };
    assert.equal(compileResources(ctx, own).TascaasSecret, undefined);
    assert.deepEqual(compileOutputs(own), {});
  });

  test('the service’s permissions boundary and the VPC policy reach the roles that need them', () => {
    const withBoundary = compileResources(
      {
        ...ctx,
        permissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
        vpcRoles: new Set(['dispatch'] as const),
      },
      settings,
    );
    assert.equal(
      withBoundary.TascaasSubmitRole!.Properties!.PermissionsBoundary,
      'arn:aws:iam::123456789012:policy/boundary',
    );
    assert.ok(withBoundary.TascaasDispatchRole!.Properties!.ManagedPolicyArns);
    assert.equal(withBoundary.TascaasSubmitRole!.Properties!.ManagedPolicyArns, undefined);
  });
});

describe('IAM', () => {
  test('no role has a * resource, and each writes only its own function’s logs', () => {
    for (const role of ['submit', 'dispatch', 'balance', 'monitor', 'status'] as const) {
      const statements = roleStatements(ctx, settings, role);
      assert.doesNotMatch(text(statements), /"\*"|:::\*"/, role);
      const logs = statements.find((s) => s.Action.includes('logs:PutLogEvents'))!;
      assert.match(
        text(logs.Resource),
        new RegExp(`/aws/lambda/svc-dev-tascaas${role.charAt(0).toUpperCase()}`),
      );
    }
  });

  test('the status function only reads the table and the secret', () => {
    const actions = roleStatements(ctx, settings, 'status').flatMap((s) => s.Action);
    assert.deepEqual(actions.sort(), [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
    ]);
  });

  test('an SSM secret is read with GetParameter on its ARN, KMS narrowed to that parameter through SSM', () => {
    const [read, decrypt] = secretStatements({ source: 'ssm', name: '/tascaas/secret' });
    const parameter = sub(
      'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/tascaas/secret',
    );
    assert.deepEqual(read, { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [parameter] });
    assert.deepEqual(decrypt!.Action, ['kms:Decrypt']);
    assert.deepEqual(decrypt!.Condition, {
      StringLike: {
        'kms:EncryptionContext:PARAMETER_ARN': [parameter],
        'kms:ViaService': 'ssm.*.amazonaws.com',
      },
    });
  });

  test('a Secrets Manager secret by name stands for its ARN with AWS’s six-character suffix', () => {
    const [read] = secretStatements({ source: 'secretsmanager', id: 'tascaas' });
    assert.deepEqual(read!.Resource, [
      sub('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:tascaas-??????'),
    ]);
  });

  test('lists a prefix only where a missing object is an answer (S3 says 403, not 404, without ListBucket)', () => {
    const lists = (role: 'submit' | 'dispatch' | 'balance' | 'monitor' | 'status') =>
      roleStatements(ctx, settings, role)
        .filter((s) => s.Action.includes('s3:ListBucket'))
        .map((s) => s.Condition?.StringLike);
    assert.deepEqual(lists('submit'), [{ 's3:prefix': ['montecarlo/*', 'montecarlo'] }]);
    assert.deepEqual(lists('balance'), [
      { 's3:prefix': ['montecarlo/*', 'montecarlo'] },
      { 's3:prefix': ['pi/*', 'pi'] },
    ]);
    assert.deepEqual(lists('dispatch'), []);
    assert.deepEqual(lists('status'), []);
  });

  test('a worker gets its own block’s queue, results and input only', () => {
    const statements = workerStatements(settings, settings.definitions[0]!);
    const all = text(statements);
    assert.ok(all.includes('MontecarloTascaasQueue') && !all.includes('PiTascaasQueue'));
    assert.ok(all.includes('inputs-bucket/montecarlo/*'));
    assert.ok(all.includes('results-bucket/montecarlo/*/partition-*/attempt-*.result'));
    assert.ok(!all.includes('results-bucket/pi/'));
    assert.ok(!all.includes('logs:'), 'the worker’s own role writes its logs');
  });

  test('a worker policy attaches to a role of the stack; a role the stack does not own is left alone', () => {
    const template: CfnTemplate = {
      Resources: {
        Role: { Type: 'AWS::IAM::Role' },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
        Theirs: {
          Type: 'AWS::Lambda::Function',
          Properties: { Role: 'arn:aws:iam::123456789012:role/theirs' },
        },
      },
    };
    assert.deepEqual(stackRoleOf(template, 'Fn'), { Ref: 'Role' });
    assert.equal(stackRoleOf(template, 'Theirs'), undefined);
    const policy = workerPolicy(settings, settings.definitions[0]!, { Ref: 'Role' });
    assert.deepEqual(Object.keys(policy), ['MontecarloTascaasWorkerPolicy']);
    assert.deepEqual(policy.MontecarloTascaasWorkerPolicy!.Properties!.Roles, [{ Ref: 'Role' }]);
  });
});

describe('the artifact and sls info', () => {
  test('the entry re-exports the five handlers of runtime/handlers', () => {
    assert.equal(
      runtimeEntry('/x/handlers'),
      'export { balance, dispatch, monitor, status, submit } from "/x/handlers";',
    );
  });

  test('sls info names the API and, per block, its queue, worker, results and input', () => {
    const lines = infoLines(settings);
    assert.equal(lines.length, 3);
    assert.match(
      lines[1]!,
      /^montecarlo: partitions 8\.\.32 .*worker function simulate.*s3:\/\/results-bucket\/montecarlo\/<job id>\/.*s3:\/\/inputs-bucket\/montecarlo\/<name>\.config/,
    );
    assert.deepEqual(infoLines({ ...settings, definitions: [] }), []);
  });
});

describe('the trigger graph', () => {
  const shared = resolveSettings({ j: { results: 'data-bucket/jobs/', input: 'data-bucket/jobs/' } });

  test('a block has no loop of its own, even with its input and results in one folder', () => {
    assert.doesNotThrow(() => checkTriggerCycles(triggerUnits(shared.definitions)));
    assert.deepEqual(
      triggerUnits(shared.definitions).map((u) => u.path),
      ['custom.tascaas.j.input', 'custom.tascaas.j.results'],
    );
    assert.deepEqual(
      triggerUnits(settings.definitions).map((u) => u.path),
      ['custom.tascaas.montecarlo.input', 'custom.tascaas.montecarlo.results', 'custom.tascaas.pi.results'],
    );
  });

  test('a function that turns a job’s results into a new *.config closes a loop through the job', () => {
    const binding = (path: string, suffix: string[]) => ({
      path: `functions.again.${path}`,
      binding: resolveBinding({ storage: 's3', path: 'data-bucket/jobs/', suffix }, path),
    });
    const again = {
      path: 'functions.again',
      inputs: [binding('input[0]', ['_SUCCESS.json'])],
      outputs: [binding('output[0]', ['.config'])],
    };
    assert.throws(
      () => checkTriggerCycles([...triggerUnits(shared.definitions), again]),
      /custom\.tascaas\.j\.input/,
    );
  });
});

test('refuses blocks whose definitions would not fit in Lambda’s 4 KB environment', () => {
  const many = resolveSettings(
    Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [
        `job-${i}`,
        { results: `results-bucket/a-rather-long-prefix/job-${i}/` },
      ]),
    ),
  );
  assert.ok(definitionsBytes(settings) < 1200, String(definitionsBytes(settings)));
  assert.throws(
    () => compileFunctions(functionsCtx, many),
    /^ConfigError: custom\.tascaas: its 20 blocks take up to \d+ bytes of TASCAAS_DEFINITIONS/,
  );
});
