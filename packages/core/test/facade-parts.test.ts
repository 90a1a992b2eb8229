// The facade's parts for plugins to come: provider registration, lazily loaded commands, the provider's IAM
// settings, and how sizes read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  commandHelpHook,
  formatBytes,
  lazyCommandHooks,
  providerIam,
  registerProvider,
  type ServerlessLike,
} from '../src/serverless';

function fakeServerless(providerName: string) {
  const calls: unknown[][] = [];
  const serverless = {
    service: { provider: { name: providerName }, getAllFunctions: () => [], getFunction: () => ({}) },
    classes: { Error },
    config: {},
    getProvider: () => undefined,
    setProvider: (name: string, provider: object) => calls.push(['setProvider', name, provider]),
    configSchemaHandler: {
      defineFunctionProperties: () => undefined,
      defineCustomProperties: () => undefined,
      defineTopLevelProperty: () => undefined,
      defineProvider: (name: string, options?: object) => calls.push(['defineProvider', name, options]),
    },
  } satisfies ServerlessLike;
  return { serverless, calls };
}

describe('registerProvider', () => {
  test('sets the plugin as the named provider and declares its schema with the schema handler', () => {
    const { serverless, calls } = fakeServerless('oscar');
    const plugin = { provider: 'oscar' };
    const schema = { provider: { properties: { endpoint: { type: 'string' } }, required: ['endpoint'] } };
    registerProvider(serverless, plugin, { name: 'oscar', schema });
    assert.deepEqual(calls, [
      ['setProvider', 'oscar', plugin],
      ['defineProvider', 'oscar', schema],
    ]);
    assert.equal(calls[0]![2], plugin);
  });

  test('declares an empty schema when the provider gives none', () => {
    const { serverless, calls } = fakeServerless('oscar');
    registerProvider(serverless, {}, { name: 'oscar' });
    assert.deepEqual(calls[1], ['defineProvider', 'oscar', {}]);
  });
});

describe('lazyCommandHooks', () => {
  test('loads a command module only when its event runs, and gives the command the context built then', async () => {
    const loaded: string[] = [];
    let stage = 'dev';
    const hooks = lazyCommandHooks(() => ({ stage }), {
      'my:run:run': () => {
        loaded.push('run');
        return (context: { stage: string }) => `ran on ${context.stage}`;
      },
      'my:ls:list': () => {
        loaded.push('ls');
        return () => 'listed';
      },
    });
    assert.deepEqual(Object.keys(hooks), ['my:run:run', 'my:ls:list']);
    assert.deepEqual(loaded, []);
    stage = 'prod';
    assert.equal(await hooks['my:run:run']!(), 'ran on prod');
    assert.deepEqual(loaded, ['run']);
  });

  test('commandHelpHook writes what a bare `sls <name>` prints', () => {
    const written: string[] = [];
    const hooks = commandHelpHook(
      'my',
      { usage: 'My commands', commands: { run: { usage: 'Run it' } } },
      { writeText: (text) => written.push([text].flat().join('\n')) },
    );
    hooks['my:help']!();
    assert.deepEqual(written, [
      'My commands\n\nCommands:\n  sls my run  Run it\n\nsls my <command> --help lists the options of one.',
    ]);
  });
});

describe('providerIam', () => {
  const statement = (action: string) => ({ Effect: 'Allow' as const, Action: [action], Resource: '*' });

  test('reads provider.iam.role and the older top-level keys, the new spelling first', () => {
    assert.deepEqual(
      providerIam({
        name: 'aws',
        iam: {
          role: {
            statements: [statement('s3:GetObject')],
            managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
            permissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
          },
        },
        iamRoleStatements: [statement('sqs:SendMessage')],
        iamManagedPolicies: [{ Ref: 'MyPolicy' }],
        rolePermissionsBoundary: 'arn:aws:iam::123456789012:policy/older',
      }),
      {
        statements: [statement('s3:GetObject'), statement('sqs:SendMessage')],
        managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess', { Ref: 'MyPolicy' }],
        permissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
      },
    );
  });

  test('a role given as an ARN has no settings; the older boundary key still counts', () => {
    assert.deepEqual(
      providerIam({
        name: 'aws',
        iam: { role: 'arn:aws:iam::123456789012:role/mine' },
        rolePermissionsBoundary: 'arn:aws:iam::123456789012:policy/older',
      }),
      { statements: [], managedPolicies: [], permissionsBoundary: 'arn:aws:iam::123456789012:policy/older' },
    );
    assert.deepEqual(providerIam({ name: 'aws' }), { statements: [], managedPolicies: [] });
  });
});

test('formatBytes: bytes as they are, larger sizes in powers of 1024 with one decimal', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(64 * 1024 * 1024), '64.0 MB');
  assert.equal(formatBytes(3 * 1024 ** 4), '3.0 TB');
});
