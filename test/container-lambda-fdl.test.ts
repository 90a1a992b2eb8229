// SCAR's own FDL files through `sls package` (serverless@3 and osls): the supported ones import and
// package together; the ones we refuse fail naming what is not supported.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { packageService, packageServiceFails, type Framework } from './harness/sls';
import { validateTemplate } from './harness/validate-template';

const FIXTURE = join(__dirname, 'fixtures', 'container-lambda-fdl');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function props(template: CfnTemplate, id: string): Json {
  const found = template.Resources[id];
  assert.ok(found, `no ${id} in the template`);
  return found.Properties;
}

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`SCAR FDL imported by ${framework}`, () => {
    let template: CfnTemplate;
    let output: string;
    before(async () => {
      const result = await packageService(FIXTURE, framework);
      template = result.template;
      output = result.stdout + result.stderr;
    });

    test('the template matches the AWS resource specification', () => {
      validateTemplate(template);
    });

    test('every AWS function of the supported files becomes an image Lambda', () => {
      const functions = Object.entries(template.Resources)
        .filter(
          ([, r]) => r.Type === 'AWS::Lambda::Function' && (r.Properties as Json).PackageType === 'Image',
        )
        .map(([, r]) => (r.Properties as Json).FunctionName)
        .sort();
      assert.deepEqual(functions, [
        'scar-dev-scar-av-workflow-audio2srt',
        'scar-dev-scar-av-workflow-ffmpeg',
        'scar-dev-scar-av-workflow-yolov3',
        'scar-dev-scar-cowsay',
        'scar-dev-scar-darknet-api-s3',
        'scar-dev-scar-ffmpeg',
        'scar-dev-scar-imagemagick',
        'scar-dev-scar-mask-detector',
        'scar-dev-scar-plants',
      ]);
    });

    test('memory maps to MemorySize and init_script runs as the contract script', () => {
      const ffmpeg = props(template, 'ScarDashffmpegLambdaFunction');
      assert.equal(ffmpeg.MemorySize, 2048);
      assert.equal(ffmpeg.Environment.Variables.CONTINUUM_SCRIPT, '/opt/continuum/script.sh');
    });

    test('a workflow bucket triggers each stage on its own prefix', () => {
      const rules = props(
        template,
        'S3BucketScarDashavDashworkflow',
      ).NotificationConfiguration.LambdaConfigurations.map((c: Json) => [
        c.Function['Fn::GetAtt'][0],
        c.Filter.S3Key.Rules[0].Value,
      ]);
      assert.deepEqual(rules, [
        ['ScarDashavDashworkflowDashffmpegLambdaFunction', 'start/'],
        ['ScarDashavDashworkflowDashaudio2srtLambdaFunction', 'audio/'],
        ['ScarDashavDashworkflowDashyolov3LambdaFunction', 'video/'],
      ]);
      const outputs = JSON.parse(
        props(template, 'ScarDashavDashworkflowDashffmpegLambdaFunction').Environment.Variables
          .CONTINUUM_OUTPUTS,
      );
      assert.deepEqual(outputs, [
        { storage: 's3', bucket: 'scar-av-workflow', prefix: 'video', suffix: ['avi'] },
        { storage: 's3', bucket: 'scar-av-workflow', prefix: 'audio', suffix: ['wav'] },
      ]);
    });

    test('batch.enable_gpu and compute_resources become a GPU compute environment and job', () => {
      const compute = props(
        template,
        'ScarDashavDashworkflowDashyolov3BatchComputeEnvironment',
      ).ComputeResources;
      assert.deepEqual(compute.InstanceTypes, ['g3s.xlarge']);
      assert.equal(compute.MaxvCpus, 12);
      assert.deepEqual(compute.Ec2Configuration, [{ ImageType: 'ECS_AL2_NVIDIA' }]);
      assert.deepEqual(compute.Subnets, ['subnet-0123abcd', 'subnet-4567efab']);
      assert.deepEqual(
        props(template, 'ScarDashavDashworkflowDashyolov3BatchJobDefinition').ContainerProperties
          .ResourceRequirements,
        [
          { Type: 'VCPU', Value: '4' },
          { Type: 'MEMORY', Value: '12288' },
          { Type: 'GPU', Value: '1' },
        ],
      );
      assert.equal(
        props(template, 'ScarDashavDashworkflowDashyolov3LambdaFunction').Environment.Variables
          .CONTINUUM_EXECUTION,
        'batch',
      );
    });

    test('api_gateway becomes a route of the REST API; the OSCAR part is left to oscar-target, said out loud', () => {
      assert.equal(
        props(template, 'ApiGatewayResourceScarDashdarknetDashapiDashs3').PathPart,
        'scar-darknet-api-s3',
      );
      assert.match(
        output,
        /functions\.oscar: 1 OSCAR service\(s\) not imported: the OSCAR part is for the oscar-target plugin/,
      );
    });
  });
}

// Issue 15 turned the refusal of mpi__batch.yaml ("multi-node parallel Batch jobs (MPI) are not supported") around:
// it now packages as an AWS Batch multi-node parallel job.
for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`SCAR's MPI example (mpi__batch.yaml) packaged by ${framework}`, () => {
    let template: CfnTemplate;
    let output: string;
    before(async () => {
      const result = await packageService(FIXTURE, framework, { env: { FDL_SET: 'mpi' } });
      template = result.template;
      output = result.stdout + result.stderr;
    });

    test('the template matches the AWS resource specification', () => {
      validateTemplate(template);
    });

    test('a three-node multi-node parallel job on EC2, running the image the service gives', () => {
      const job = props(template, 'ScarDashmpiBatchJobDefinition');
      assert.equal(job.Type, 'multinode');
      assert.deepEqual(job.PlatformCapabilities, ['EC2']);
      assert.equal(job.ContainerProperties, undefined);
      assert.equal(job.NodeProperties.NumNodes, 3);
      assert.equal(job.NodeProperties.MainNode, 0);
      assert.equal(job.NodeProperties.NodeRangeProperties.length, 1);
      const range = job.NodeProperties.NodeRangeProperties[0];
      assert.equal(range.TargetNodes, '0:');
      assert.equal(
        range.Container.Image,
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/scar-mpi@sha256:9090909090909090909090909090909090909090909090909090909090909090',
      );
      const environment = Object.fromEntries(range.Container.Environment.map((e: Json) => [e.Name, e.Value]));
      assert.equal(environment.EXEC_TYPE, 'batch');
      assert.equal(environment.PYTHONIOENCODING, 'utf8');
      assert.equal(environment.CONTINUUM_MODE, 'batch');
      const compute = props(template, 'ScarDashmpiBatchComputeEnvironment').ComputeResources;
      assert.equal(compute.Type, 'EC2');
      assert.deepEqual(compute.Subnets, ['subnet-0123abcd', 'subnet-4567efab']);
    });

    test('the function hands every upload to all the nodes, and says what it did with the FDL script', () => {
      const variables = props(template, 'ScarDashmpiLambdaFunction').Environment.Variables;
      assert.equal(variables.CONTINUUM_EXECUTION, 'batch');
      assert.equal(variables.CONTINUUM_BATCH_NODES, '3');
      assert.match(
        output,
        /functions\.aws\[0\]\.lambda\.init_script: \/tmp\/run_batch\.sh is not here; the prebuilt image of scar-mpi carries its script/,
      );
    });
  });
}

describe('SCAR FDL files that cannot be honoured', () => {
  test("SCAR's catalogue of keys (fdl-example.yaml) stops only on its inline keys and its MinIO input, under osls", async () => {
    const run = await packageServiceFails(FIXTURE, 'osls', { env: { FDL_SET: 'example' } });
    const text = run.stdout + run.stderr;
    assert.match(text, /fdl-example\.yaml cannot be imported as is/);
    assert.match(
      text,
      /storage_providers\.s3\.my_s3\.access_key, storage_providers\.s3\.my_s3\.secret_key: storage credentials are not taken from an FDL file/,
    );
    assert.match(
      text,
      /functions\.aws\[0\]\.lambda\.input\[0\]\.storage_provider: minio\.my_minio is not supported on AWS as an input/,
    );
    // Every other lambda, iam, api_gateway and cloudwatch key of the catalogue imports or is said to be ignored.
    assert.doesNotMatch(
      text,
      /\.lambda\.(layers|supervisor|log_level|boto_profile|region|container|environment|init_script|output)[^\n]*: not supported/,
    );
    assert.doesNotMatch(text, /\.(iam|api_gateway|cloudwatch)\.[a-z_]+: not supported/);
    assert.doesNotMatch(text, /awskey|mpass|mytoken/);
  });

  test('a function triggered by its own output (video-process.yaml) fails naming the input, under osls', async () => {
    const run = await packageServiceFails(FIXTURE, 'osls', { env: { FDL_SET: 'video' } });
    const text = run.stdout + run.stderr;
    assert.match(
      text,
      /functions\.scar-batch-ffmpeg-split\.input\[0\]\.path: scar-ffmpeg \(the whole bucket\) would be triggered by this function's own output scar-ffmpeg\/scar-batch-ffmpeg-split\/video-output/,
    );
    assert.match(text, /imported from scar\/video-process\.yaml functions\.aws\[0\]\.lambda/);
  });
});

const ACCESS_POINT = 'arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0';

/** A resource's tags as `{ Key: Value }`, whichever shape its type takes them in. */
function tagsOf(template: CfnTemplate, id: string): Record<string, string> {
  const tags = props(template, id).Tags;
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((tag: Json) => [tag.Key, tag.Value]));
  return tags ?? {};
}

for (const framework of ['serverless', 'osls'] as Framework[]) {
  describe(`SCAR keys SCAR's code reads, imported by ${framework}`, () => {
    let template: CfnTemplate;
    let output: string;
    before(async () => {
      const result = await packageService(
        join(__dirname, 'fixtures', 'container-lambda-fdl-keys'),
        framework,
      );
      template = result.template;
      output = result.stdout + result.stderr;
    });

    test('the template matches the AWS resource specification', () => {
      validateTemplate(template);
    });

    test('vpc becomes the VpcConfig, with the VPC access policy on the function role', () => {
      const fn = props(template, 'ScarDashinDashvpcLambdaFunction');
      assert.deepEqual(fn.VpcConfig.SubnetIds, ['subnet-0123abcd', 'subnet-4567efab']);
      assert.deepEqual(fn.VpcConfig.SecurityGroupIds, ['sg-0123abcd']);
      assert.ok(
        JSON.stringify(props(template, 'ScarDashinDashvpcContainerRole').ManagedPolicyArns).includes(
          'AWSLambdaVPCAccessExecutionRole',
        ),
      );
    });

    test('memory, timeout, description, both environments, timeout_threshold and execution_mode map', () => {
      const fn = props(template, 'ScarDashinDashvpcLambdaFunction');
      assert.equal(fn.MemorySize, 1024);
      assert.equal(fn.Timeout, 120);
      assert.equal(fn.Description, 'classifies plant photos');
      const variables = fn.Environment.Variables;
      assert.equal(variables.MODEL_DIR, '/mnt/models');
      assert.equal(variables.QUALITY, '90');
      assert.equal(variables.CONTINUUM_USER_ENV, 'QUALITY');
      assert.equal(variables.CONTINUUM_DEADLINE_MARGIN_MS, '20000');
      assert.equal(variables.CONTINUUM_EXECUTION, 'lambda-batch');
      assert.equal(variables.CONTINUUM_SCRIPT, '/opt/continuum/script.sh');
    });

    test('file_system mounts the EFS access point, and the role may mount that access point only', () => {
      const fn = props(template, 'ScarDashinDashvpcLambdaFunction');
      assert.deepEqual(fn.FileSystemConfigs, [{ Arn: ACCESS_POINT, LocalMountPath: '/mnt/models' }]);
      const statements = props(template, 'ScarDashinDashvpcContainerRole').Policies[0].PolicyDocument
        .Statement;
      assert.deepEqual(
        statements.filter((s: Json) => s.Action.some((a: string) => a.startsWith('elasticfilesystem:'))),
        [
          {
            Effect: 'Allow',
            Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
            Resource: ['arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/*'],
            Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': ACCESS_POINT } },
          },
        ],
      );
    });

    test('tags go on every resource the function brings: function, role, log group, Batch, its buckets', () => {
      const expected = { owner: 'lab', project: 'plants' };
      for (const id of [
        'ScarDashinDashvpcLambdaFunction',
        'ScarDashinDashvpcContainerRole',
        'ScarDashinDashvpcLogGroup',
        'ScarDashinDashvpcBatchComputeEnvironment',
        'ScarDashinDashvpcBatchJobQueue',
        'ScarDashinDashvpcBatchJobDefinition',
        'ScarDashinDashvpcBatchJobRole',
        'ScarDashinDashvpcBatchInstanceRole',
        'S3BucketScarDashkeysDashplants',
      ]) {
        assert.deepEqual(tagsOf(template, id), expected, id);
      }
      // The Batch maps are maps, the rest lists: the shapes the specification gives each type.
      assert.deepEqual(props(template, 'ScarDashinDashvpcBatchJobQueue').Tags, expected);
      assert.deepEqual(props(template, 'ScarDashinDashvpcLogGroup').Tags, [
        { Key: 'owner', Value: 'lab' },
        { Key: 'project', Value: 'plants' },
      ]);
    });

    test('cloudwatch.log_retention_policy_in_days sets the log group retention', () => {
      assert.equal(props(template, 'ScarDashinDashvpcLogGroup').RetentionInDays, 14);
    });

    test('iam.role: the function runs with that role, and the plugin makes none for it', () => {
      assert.equal(
        props(template, 'ScarDashapiLambdaFunction').Role,
        'arn:aws:iam::123456789012:role/scar-lab',
      );
      assert.equal(template.Resources.ScarDashapiContainerRole, undefined);
      assert.match(
        output,
        /iam\.role: scar-api runs with this existing role instead of the least-privilege one/,
      );
    });

    test('api_gateway: the REST API has its name, the route its method, and X-Amz-Invocation-Type reaches Lambda', () => {
      assert.equal(props(template, 'ApiGatewayRestApi').Name, 'scar-keys-api');
      const method = props(template, 'ApiGatewayMethodScarDashapiPost');
      assert.equal(method.HttpMethod, 'POST');
      assert.deepEqual(method.RequestParameters, { 'method.request.header.X-Amz-Invocation-Type': false });
      assert.equal(method.Integration.Type, 'AWS_PROXY');
      assert.deepEqual(method.Integration.RequestParameters, {
        'integration.request.header.X-Amz-Invocation-Type': 'method.request.header.X-Amz-Invocation-Type',
      });
      // The call marked Event arrives as an asynchronous invocation already: the supervisor runs it.
      assert.equal(
        props(template, 'ScarDashapiLambdaFunction').Environment.Variables.CONTINUUM_API_ASYNC,
        'gateway',
      );
      assert.match(
        output,
        /api_gateway\.stage_name: "scar" ignored \(the REST API's stage is the service's stage/,
      );
    });

    test('storage_providers minio, webdav, onedata: outputs go to those accounts with the credentials of its secrets, and no bucket or grant is made for them', () => {
      const variables = props(template, 'ScarDashtoDashminioLambdaFunction').Environment.Variables;
      assert.deepEqual(JSON.parse(variables.CONTINUUM_STORAGE_PROVIDERS), {
        minio: { lab: { endpoint: 'https://minio.lab.example:9000', region: 'us-east-1' } },
        webdav: { dcache: { url: 'https://dcache.lab.example:2880', login: 'lab' } },
        onedata: { plants: { url: 'https://oneprovider.lab.example', space: 'plants' } },
      });
      assert.deepEqual(
        JSON.parse(variables.CONTINUUM_OUTPUTS).map((o: Json) => o.storage),
        ['minio.lab', 'webdav.dcache', 'onedata.plants'],
      );
      assert.deepEqual(Object.keys(JSON.parse(variables.CONTINUUM_SECRETS).ssm).sort(), [
        'MINIO_LAB_ACCESS_KEY',
        'MINIO_LAB_SECRET_KEY',
        'ONEDATA_PLANTS_TOKEN',
        'WEBDAV_DCACHE_PASSWORD',
      ]);
      assert.equal(template.Resources.S3BucketLabDashresults, undefined);
      const policy = JSON.stringify(props(template, 'ScarDashtoDashminioContainerRole').Policies);
      assert.doesNotMatch(policy, /lab-results/);
      assert.match(policy, /scar-keys\/minio\/access-key/);
    });

    test('what has no meaning here is said, each with its reason', () => {
      for (const notice of [
        /lambda\.deployment\.bucket: ignored \(SCAR uploads its zip there/,
        /lambda\.deployment\.max_payload_size: ignored/,
        /lambda\.preheat: ignored/,
        /lambda\.layers: ignored \(Lambda attaches no layers to a container-image function/,
        /lambda\.supervisor: ignored \(SCAR downloads faas-supervisor 1\.5\.7/,
        /lambda\.log_level: ignored/,
        /lambda\.boto_profile: ignored \(the framework's --aws-profile or provider\.profile picks the credentials\)/,
        /iam\.boto_profile: ignored/,
        /cloudwatch\.boto_profile: ignored/,
      ]) {
        assert.match(output, notice);
      }
    });
  });
}
