// Every key SCAR 4.3 reads under functions.aws[] (scar/parser/cfgfile.py's defaults, scar/providers/aws/*):
// what the importer makes of each, or the one-line notice or refusal that says why.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/errors';
import { importScarFdl, type FunctionDefinition } from '../src/functions';

const FDL = 'custom.containerLambda.fdl';
const ACCESS_POINT = 'arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0';
const VPC = { SubnetIds: ['subnet-0123abcd'], SecurityGroupIds: ['sg-0123abcd'] };

function importEntry(entry: Record<string, unknown>): { fn: FunctionDefinition; notices: string[] } {
  const { functions, notices } = importScarFdl(
    { functions: { aws: [entry] } },
    { file: '/srv/scar.yaml', configPath: FDL },
  );
  const [fn] = functions;
  assert.ok(fn);
  const { source: _source, ...definition } = fn;
  return { fn: definition, notices };
}

function problems(entry: Record<string, unknown>): string {
  try {
    importScarFdl({ functions: { aws: [entry] } }, { file: '/srv/scar.yaml', configPath: FDL });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('expected the import to fail');
}

describe('SCAR keys of a lambda entry', () => {
  test('memory, timeout, execution_mode, init_script, description, alpine, timeout_threshold and both environments map', () => {
    const { fn, notices } = importEntry({
      lambda: {
        name: 'f',
        memory: 1024,
        timeout: 300,
        execution_mode: 'lambda',
        init_script: 'run.sh',
        description: 'grays images',
        log_level: 'DEBUG',
        environment: { Variables: { KEY1: 'val1' } },
        container: {
          image: 'grycap/imagemagick:alpine',
          alpine: 'True',
          timeout_threshold: 15,
          environment: { Variables: { QUALITY: 90 } },
        },
      },
    });
    assert.deepEqual(fn, {
      name: 'f',
      memory: 1024,
      timeout: 300,
      execution: 'lambda',
      description: 'grays images',
      container: {
        image: 'grycap/imagemagick:alpine',
        script: '/srv/run.sh',
        alpine: true,
        environment: { QUALITY: '90' },
      },
      functionEnvironment: { KEY1: 'val1' },
      batch: { fallback: { deadlineMarginSeconds: 15 } },
    });
    assert.deepEqual(notices, [
      'functions.aws[0].lambda.log_level: ignored (the supervisor logs to CloudWatch at one level)',
    ]);
  });

  test('file_system becomes the one EFS access point of the function, which needs its VPC', () => {
    const { fn } = importEntry({
      lambda: {
        name: 'f',
        container: { image: 'alpine' },
        vpc: VPC,
        file_system: [{ Arn: ACCESS_POINT, LocalMountPath: '/mnt/data' }],
      },
    });
    assert.deepEqual(fn.fileSystem, { arn: ACCESS_POINT, localMountPath: '/mnt/data' });
    assert.ok(
      problems({
        lambda: {
          name: 'f',
          container: { image: 'alpine' },
          file_system: [{ Arn: ACCESS_POINT, LocalMountPath: '/mnt/data' }],
        },
      }).includes(
        'functions.aws[0].lambda.file_system: EFS is reached through a VPC: add lambda.vpc { SubnetIds, SecurityGroupIds } (subnets with a mount target of the file system)',
      ),
    );
    const wrong = problems({
      lambda: {
        name: 'f',
        container: { image: 'alpine' },
        vpc: VPC,
        file_system: [
          {
            Arn: 'arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1',
            LocalMountPath: '/data',
          },
        ],
      },
    });
    assert.match(wrong, /lambda\.file_system\[0\]\.Arn: must be an EFS access point ARN/);
    assert.match(wrong, /lambda\.file_system\[0\]\.LocalMountPath: must be a folder right under \/mnt/);
    assert.match(
      problems({
        lambda: {
          name: 'f',
          container: { image: 'alpine' },
          vpc: VPC,
          file_system: [
            { Arn: ACCESS_POINT, LocalMountPath: '/mnt/a' },
            { Arn: ACCESS_POINT, LocalMountPath: '/mnt/b' },
          ],
        },
      }),
      /lambda\.file_system: must be a list of one \{ Arn, LocalMountPath \} \(Lambda mounts one EFS access point per function\)/,
    );
  });

  test('layers, supervisor.version, deployment, boto_profile and the invocation settings are ignored, each with its reason', () => {
    const { notices } = importEntry({
      lambda: {
        name: 'f',
        boto_profile: 'lab',
        container: { image: 'alpine' },
        layers: ['arn:aws:lambda:us-east-1:123456789012:layer:tools:3'],
        supervisor: { version: '1.5.7' },
        deployment: { bucket: 'scar-zips', max_payload_size: 52428800 },
        invocation_type: 'RequestResponse',
        asynchronous: false,
        log_type: 'Tail',
      },
    });
    assert.deepEqual(notices, [
      "functions.aws[0].lambda.boto_profile: ignored (the framework's --aws-profile or provider.profile picks the credentials)",
      "functions.aws[0].lambda.layers: ignored (Lambda attaches no layers to a container-image function, and SCAR's image runtime drops them too; put what they carry into the image)",
      "functions.aws[0].lambda.supervisor: ignored (SCAR downloads faas-supervisor 1.5.7; the plugin bundles its own supervisor, of the plugin's version, into the image)",
      'functions.aws[0].lambda.deployment.bucket: ignored (SCAR uploads its zip there; an image function has no zip, and the framework keeps its files in its own deployment bucket, provider.deploymentBucket)',
      "functions.aws[0].lambda.deployment.max_payload_size: ignored (a limit on SCAR's zip; an image function has none, its image may be up to 10 GB)",
      'functions.aws[0].lambda.invocation_type: ignored (how SCAR invoked the function; sls invoke and the HTTP endpoint choose per call)',
      'functions.aws[0].lambda.asynchronous: ignored (how SCAR invoked the function; sls invoke and the HTTP endpoint choose per call)',
      'functions.aws[0].lambda.log_type: ignored (how SCAR invoked the function: sls invoke --log shows the log)',
    ]);
  });

  test('an empty layers list, as in scar.cfg, is said nothing about', () => {
    const { notices } = importEntry({ lambda: { name: 'f', container: { image: 'alpine' }, layers: [] } });
    assert.deepEqual(notices, []);
  });
});

describe('SCAR keys beside lambda', () => {
  test('iam.role is used instead of the generated role, and says least privilege is then the user’s', () => {
    const role = 'arn:aws:iam::123456789012:role/scar-lab';
    const { fn, notices } = importEntry({
      lambda: { name: 'f', container: { image: 'alpine' } },
      iam: { role, boto_profile: 'default' },
    });
    assert.equal(fn.role, role);
    assert.deepEqual(notices, [
      'functions.aws[0].iam.role: f runs with this existing role instead of the least-privilege one the plugin makes: reading its inputs, writing its outputs and its logs, and submitting to Batch are then yours to grant',
      "functions.aws[0].iam.boto_profile: ignored (the framework's --aws-profile or provider.profile picks the credentials)",
    ]);
    assert.match(
      problems({ lambda: { name: 'f', container: { image: 'alpine' } }, iam: { role: 'scar-lab' } }),
      /functions\.aws\[0\]\.iam\.role: must be an IAM role ARN \(arn:aws:iam::<account>:role\/<name>\)/,
    );
  });

  test('SCAR’s empty iam.role (its default) means the plugin makes the role', () => {
    const { fn, notices } = importEntry({
      lambda: { name: 'f', container: { image: 'alpine' } },
      iam: { role: '' },
    });
    assert.equal(fn.role, undefined);
    assert.deepEqual(notices, []);
  });

  test('api_gateway: name names the REST API, http_method the route, stage_name is the service stage', () => {
    const { fn, notices } = importEntry({
      lambda: { name: 'f', container: { image: 'alpine' } },
      api_gateway: {
        name: 'darknet',
        http_method: 'post',
        stage_name: 'scar',
        region: 'us-east-1',
        path_part: '{proxy+}',
      },
    });
    assert.equal(fn.api, true);
    assert.equal(fn.apiName, 'darknet');
    assert.equal(fn.apiMethod, 'POST');
    assert.deepEqual(notices, [
      'functions.aws[0].api_gateway.name: the endpoint is the service\'s REST API, route /f; "darknet" names that API unless the service names it (provider.apiName)',
      'functions.aws[0].api_gateway.stage_name: "scar" ignored (the REST API\'s stage is the service\'s stage: deploy with --stage scar for the same path)',
      "functions.aws[0].api_gateway.region: ignored (the API lives in the service's region)",
      "functions.aws[0].api_gateway.path_part: ignored (SCAR's own wiring of its API; here a Lambda proxy route /f that passes X-Amz-Invocation-Type through, as SCAR's does)",
    ]);
    assert.match(
      problems({
        lambda: { name: 'f', container: { image: 'alpine' } },
        api_gateway: { http_method: 'FETCH' },
      }),
      /functions\.aws\[0\]\.api_gateway\.http_method: must be one of ANY, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT/,
    );
  });

  test('ecr.delete_image: false keeps the image; true (SCAR’s default) is what sls remove does', () => {
    const keep = importEntry({
      lambda: { name: 'f', container: { image: 'alpine' } },
      ecr: { delete_image: false },
    });
    assert.equal(keep.fn.keepImage, true);
    const remove = importEntry({
      lambda: { name: 'f', container: { image: 'alpine' } },
      ecr: { delete_image: 'True' },
    });
    assert.equal(remove.fn.keepImage, undefined);
  });

  test("scar.cfg's s3 block and the stray quote of SCAR's own example are said to be ignored, as SCAR ignores them", () => {
    const { notices } = importEntry({
      lambda: { name: 'f', container: { image: 'alpine', 'timeout_threshold"': 10 } },
      s3: { boto_profile: 'default', region: 'us-east-1', event: { Records: [] } },
    });
    assert.deepEqual(notices, [
      'functions.aws[0].lambda.container.timeout_threshold": ignored, as SCAR ignores it (a stray quote: timeout_threshold is the key)',
      "functions.aws[0].s3.boto_profile: ignored (the framework's --aws-profile or provider.profile picks the credentials)",
      'functions.aws[0].s3.region: ignored (buckets the service creates live in its region)',
      "functions.aws[0].s3.event: ignored (the event shape SCAR's scar run sent; sls container run uploads the file and S3 sends the event)",
    ]);
  });

  test('cloudwatch.log_retention_policy_in_days maps; its boto_profile and region are said to be ignored', () => {
    const { fn, notices } = importEntry({
      lambda: { name: 'f', container: { image: 'alpine' } },
      cloudwatch: { log_retention_policy_in_days: 30, boto_profile: 'default', region: 'us-east-1' },
    });
    assert.equal(fn.logRetentionInDays, 30);
    assert.deepEqual(notices, [
      "functions.aws[0].cloudwatch.boto_profile: ignored (the framework's --aws-profile or provider.profile picks the credentials)",
      "functions.aws[0].cloudwatch.region: ignored (the logs live in the service's region)",
    ]);
  });
});

describe('SCAR storage_providers on AWS', () => {
  const withStorage = (output: unknown, providers: unknown, input?: unknown) => ({
    functions: {
      aws: [
        {
          lambda: {
            name: 'f',
            container: { image: 'alpine' },
            ...(input ? { input } : {}),
            output,
          },
        },
      ],
    },
    storage_providers: providers,
  });

  test('an output to minio.<id> keeps that server (endpoint, region, verify), never its keys', () => {
    const imported = importScarFdl(
      withStorage([{ storage_provider: 'minio.lab', path: 'results/gray' }], {
        minio: { lab: { endpoint: 'https://minio.lab.example', region: 'eu-west-1', verify: 'False' } },
      }),
      { file: 's.yaml', configPath: FDL },
    );
    assert.deepEqual(imported.storageProviders, {
      minio: { lab: { endpoint: 'https://minio.lab.example', region: 'eu-west-1', verify: false } },
    });
    assert.deepEqual(imported.functions[0]?.output, [{ storage: 'minio.lab', path: 'results/gray' }]);
  });

  test("a MinIO server's keys in the file are refused, saying which secrets to name instead", () => {
    const message = (() => {
      try {
        importScarFdl(
          withStorage([{ storage_provider: 'minio.my_minio', path: 'results' }], {
            minio: {
              my_minio: { endpoint: 'http://minio:9000', access_key: 'muser', secret_key: 'mpass' },
            },
          }),
          { file: 's.yaml', configPath: FDL },
        );
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    assert.ok(
      message.includes(
        'storage_providers.minio.my_minio.access_key, storage_providers.minio.my_minio.secret_key: storage credentials are not taken from an FDL file (functions.aws[0].lambda.output[0].storage_provider uses this account): store them in SSM Parameter Store or Secrets Manager and name them in lambda.container.secrets as MINIO_MY_MINIO_ACCESS_KEY and MINIO_MY_MINIO_SECRET_KEY',
      ),
      message,
    );
    assert.match(message, /storage_providers\.minio\.my_minio\.endpoint: must be an https:\/\/ URL/);
    assert.doesNotMatch(message, /muser|mpass/);
  });

  test('a MinIO or Onedata input is refused: only S3 triggers a Lambda function', () => {
    assert.match(
      problems(
        withStorage([{ storage_provider: 's3', path: 'results' }], {}, [
          { storage_provider: 'minio.lab', path: 'incoming' },
        ]).functions.aws[0]!,
      ),
      /lambda\.input\[0\]\.storage_provider: minio\.lab is not supported on AWS as an input: only S3 notifies a Lambda function \(SCAR sets no trigger for it either\)/,
    );
  });

  test('WebDAV and Onedata outputs keep their accounts; a password or token in the file is refused, naming its secret', () => {
    const outputs = [
      { storage_provider: 'webdav.dcache', path: 'results/gray' },
      { storage_provider: 'onedata.lab', path: 'results/gray' },
    ];
    const imported = importScarFdl(
      withStorage(outputs, {
        webdav: { dcache: { hostname: 'dcache.example:2880', login: 'lab' } },
        onedata: { lab: { oneprovider_host: 'op.example', space: 'plants' } },
      }),
      { file: 's.yaml', configPath: FDL },
    );
    assert.deepEqual(imported.storageProviders, {
      webdav: { dcache: { hostname: 'dcache.example:2880', login: 'lab' } },
      onedata: { lab: { oneproviderHost: 'op.example', space: 'plants' } },
    });
    let message = '';
    try {
      importScarFdl(
        withStorage(outputs, {
          webdav: { dcache: { hostname: 'dcache.example', login: 'lab', password: 'dav-pass' } },
          onedata: { lab: { oneprovider_host: 'op.example', space: 'plants', token: 'od-token' } },
        }),
        { file: 's.yaml', configPath: FDL },
      );
    } catch (error) {
      message = (error as Error).message;
    }
    assert.ok(
      message.includes(
        'storage_providers.webdav.dcache.password: storage credentials are not taken from an FDL file (functions.aws[0].lambda.output[0].storage_provider uses this account): store it in SSM Parameter Store or Secrets Manager and name it in lambda.container.secrets as WEBDAV_DCACHE_PASSWORD',
      ),
      message,
    );
    assert.match(message, /storage_providers\.onedata\.lab\.token: .* as ONEDATA_LAB_TOKEN/);
    assert.doesNotMatch(message, /dav-pass|od-token/);
  });

  test('an output to a MinIO server the file does not describe is refused, naming where to describe it', () => {
    assert.match(
      problems(withStorage([{ storage_provider: 'minio.lab', path: 'results' }], {}).functions.aws[0]!),
      /lambda\.output\[0\]\.storage_provider: minio\.lab names no minio account: describe it in storage_providers\.minio\.lab \{ endpoint \}/,
    );
  });
});
