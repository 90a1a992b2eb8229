import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  awsClientConfig,
  compiledTemplate,
  defineCustomProperty,
  defineFunctionProperties,
  mergeOutputs,
  mergeResources,
  setFunctionProperties,
  pluginUtils,
  regionAndStage,
  stackName,
  serviceDir,
  toFrameworkError,
  wrapHooks,
  type AwsProviderLike,
  type ServerlessLike,
} from '../src/serverless';
import { ConfigError, ContinuumError } from '../src/errors';
import { PLUGIN_METADATA_KEY, sqsQueue } from '../src/cfn';

class FrameworkError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The slice of a Serverless instance the facade touches, with records of what it was asked to do. */
function fakeServerless(options: { provider?: Partial<AwsProviderLike>; region?: string } = {}) {
  const schemas: Array<[string, unknown]> = [];
  const serverless: ServerlessLike = {
    service: {
      provider: {
        name: 'aws',
        region: options.region,
        compiledCloudFormationTemplate: { Resources: { Existing: { Type: 'AWS::SQS::Queue' } } },
      },
      getAllFunctions: () => [],
      getFunction: () => ({}),
    },
    classes: { Error: FrameworkError },
    config: { servicePath: '/srv/app' },
    getProvider: () =>
      options.provider && {
        getRegion: () => 'eu-west-1',
        getStage: () => 'prod',
        ...options.provider,
      },
    configSchemaHandler: {
      defineFunctionProperties: (provider, schema) => schemas.push([`function:${provider}`, schema]),
      defineCustomProperties: (schema) => schemas.push(['custom', schema]),
      defineTopLevelProperty: (name, schema) => schemas.push([`top:${name}`, schema]),
      defineProvider: () => undefined,
    },
  };
  return { serverless, schemas };
}

function capture(stream: NodeJS.WriteStream, run: () => void): string {
  const original = stream.write.bind(stream);
  let written = '';
  stream.write = ((chunk: string) => {
    written += chunk;
    return true;
  }) as typeof stream.write;
  try {
    run();
  } finally {
    stream.write = original;
  }
  return written;
}

describe('pluginUtils', () => {
  test("uses the framework's log, progress and writeText when it passes them", () => {
    const seen: string[] = [];
    const log = Object.assign((m?: string) => seen.push(`log ${m}`), {
      warning: (m?: string) => seen.push(`warning ${m}`),
    });
    const utils = pluginUtils({
      log,
      progress: {
        create: ({ message }) => (seen.push(`progress ${message}`), { update: () => 0, remove: () => 0 }),
      },
      writeText: (text) => seen.push(`text ${[text].flat().join('|')}`),
    });
    utils.log('hello');
    utils.log.warning('careful');
    utils.progress.create({ message: 'packaging' });
    utils.writeText(['a', 'b']);
    assert.deepEqual(seen, ['log hello', 'warning careful', 'progress packaging', 'text a|b']);
    // Levels the framework did not give fall back to stderr rather than crash.
    assert.equal(
      capture(process.stderr, () => utils.log.error('broken')),
      'broken\n',
    );
  });

  test('falls back to stderr for logs and stdout for text when a test passes no utils', () => {
    const utils = pluginUtils();
    assert.equal(
      capture(process.stderr, () => {
        utils.log.notice('notice');
        utils.log.debug('hidden');
        utils.progress.create({ message: 'step 1' }).update('step 2');
      }),
      'notice\nstep 1\nstep 2\n',
    );
    assert.equal(
      capture(process.stdout, () => utils.writeText(['line 1', 'line 2'])),
      'line 1\nline 2\n',
    );
  });
});

describe('errors reaching the user', () => {
  test('a ContinuumError becomes the framework error class, with its code in the message', () => {
    const { serverless } = fakeServerless();
    const error = toFrameworkError(
      serverless,
      new ConfigError('functions.thumb.container.image', 'required'),
    );
    assert.ok(error instanceof FrameworkError);
    assert.equal(error.message, 'functions.thumb.container.image: required [CONTINUUM_INVALID_CONFIG]');
    assert.equal((error as FrameworkError).code, 'CONTINUUM_INVALID_CONFIG');
  });

  test('other errors pass through untouched, so bugs keep their stack', () => {
    const { serverless } = fakeServerless();
    const bug = new TypeError('x is undefined');
    assert.equal(toFrameworkError(serverless, bug), bug);
    assert.equal(toFrameworkError(serverless, 'text').message, 'text');
  });

  test('wrapHooks converts errors thrown by sync and async hooks and returns their results', async () => {
    const { serverless } = fakeServerless();
    const hooks = wrapHooks(serverless, {
      'package:compileEvents': () => {
        throw new ContinuumError('CONTINUUM_BUNDLE', 'esbuild failed for coordinator');
      },
      'deploy:deploy': async () => {
        throw new ContinuumError('CONTINUUM_STORAGE', 'upload failed');
      },
      'info:info': () => 42,
    });
    await assert.rejects(async () => hooks['package:compileEvents']!(), {
      message: 'esbuild failed for coordinator [CONTINUUM_BUNDLE]',
      code: 'CONTINUUM_BUNDLE',
    });
    await assert.rejects(async () => hooks['deploy:deploy']!(), {
      message: 'upload failed [CONTINUUM_STORAGE]',
    });
    assert.equal(await hooks['info:info']!(), 42);
  });
});

describe('schema registration', () => {
  test('declares custom.<key>, function properties and top-level properties through the schema handler', () => {
    const { serverless, schemas } = fakeServerless();
    defineCustomProperty(serverless, 'harness', { type: 'object' });
    defineFunctionProperties(serverless, { properties: { container: { type: 'object' } } });
    assert.deepEqual(schemas, [
      ['custom', { type: 'object', properties: { harness: { type: 'object' } } }],
      ['function:aws', { properties: { container: { type: 'object' } } }],
    ]);
  });
});

describe('template merging', () => {
  test('mergeResources marks each resource with the plugin that made it', () => {
    const { serverless } = fakeServerless();
    mergeResources(serverless, 'tascaas', { PartitionQueue: sqsQueue({ visibilityTimeout: 60 }) });
    const merged = compiledTemplate(serverless).Resources.PartitionQueue;
    assert.equal(merged?.Metadata?.[PLUGIN_METADATA_KEY], 'tascaas');
    assert.equal(merged?.Properties?.VisibilityTimeout, 60);
  });

  test('mergeResources refuses to overwrite a logical id that already exists', () => {
    const { serverless } = fakeServerless();
    assert.throws(() => mergeResources(serverless, 'x', { Existing: sqsQueue({}) }), {
      code: 'CONTINUUM_INVALID_CONFIG',
      message: 'resource Existing is already defined in the template',
    });
  });

  test('setFunctionProperties sets properties on a compiled function found by the framework naming', () => {
    const { serverless } = fakeServerless({
      provider: {
        naming: { getLambdaLogicalId: (key) => `${key}LambdaFunction`, getStackName: () => 'stack' },
      },
    });
    const template = compiledTemplate(serverless);
    template.Resources.workLambdaFunction = { Type: 'AWS::Lambda::Function', Properties: { Timeout: 6 } };
    setFunctionProperties(serverless, 'work', { RecursiveLoop: 'Allow' });
    assert.deepEqual(template.Resources.workLambdaFunction.Properties, {
      Timeout: 6,
      RecursiveLoop: 'Allow',
    });
    assert.throws(() => setFunctionProperties(serverless, 'missing', {}), {
      code: 'CONTINUUM_INVALID_CONFIG',
      message: 'function missing is not in the compiled template',
    });
  });

  test('mergeOutputs adds outputs next to existing ones', () => {
    const { serverless } = fakeServerless();
    mergeOutputs(serverless, { A: { Value: 'a' } });
    mergeOutputs(serverless, { B: { Value: 'b' } });
    assert.deepEqual(Object.keys(compiledTemplate(serverless).Outputs ?? {}), ['A', 'B']);
  });
});

describe('awsClientConfig', () => {
  test("uses the framework's SDK v3 config when the provider offers getAwsSdkV3Config", async () => {
    const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' };
    const { serverless } = fakeServerless({
      provider: { getAwsSdkV3Config: async () => ({ region: 'ap-south-1', credentials }) },
    });
    assert.deepEqual(await awsClientConfig(serverless), { region: 'ap-south-1', credentials });
    // A --region flag wins over the framework's region.
    assert.equal((await awsClientConfig(serverless, { region: 'us-west-2' })).region, 'us-west-2');
  });

  test("falls back to the provider's region and the SDK's default credential chain without it", async () => {
    const { serverless } = fakeServerless({ provider: {} });
    assert.deepEqual(await awsClientConfig(serverless), { region: 'eu-west-1' });
  });

  test('uses the service region, then us-east-1, when there is no provider at all', async () => {
    assert.equal(
      (await awsClientConfig(fakeServerless({ region: 'sa-east-1' }).serverless)).region,
      'sa-east-1',
    );
    const saved = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      assert.equal((await awsClientConfig(fakeServerless().serverless)).region, 'us-east-1');
    } finally {
      if (saved !== undefined) process.env.AWS_REGION = saved;
    }
  });
});

describe('service facts', () => {
  test('regionAndStage: CLI flags win over the provider', () => {
    const { serverless } = fakeServerless({ provider: {} });
    assert.deepEqual(regionAndStage(serverless), { region: 'eu-west-1', stage: 'prod' });
    assert.deepEqual(regionAndStage(serverless, { region: 'us-east-2', stage: 'test' }), {
      region: 'us-east-2',
      stage: 'test',
    });
  });

  test("stackName: the framework's naming when it has one, else <service>-<stage> (--stage wins)", () => {
    const named = fakeServerless({
      provider: { naming: { getStackName: () => 'custom-stack', getLambdaLogicalId: (f) => f } },
    });
    assert.equal(stackName(named.serverless), 'custom-stack');
    const { serverless } = fakeServerless({ provider: {} });
    serverless.service.service = 'imaging';
    assert.equal(stackName(serverless), 'imaging-prod');
    assert.equal(stackName(serverless, { stage: 'test' }), 'imaging-test');
  });

  test('serviceDir reads v3 serviceDir or the older servicePath', () => {
    const { serverless } = fakeServerless();
    assert.equal(serviceDir(serverless), '/srv/app');
    assert.equal(serviceDir({ ...serverless, serviceDir: '/srv/other' }), '/srv/other');
  });
});
