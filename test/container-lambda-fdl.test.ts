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

for (const framework of ['serverless', 'osls'] as Framework[]) {
  test(`SCAR keys its documentation does not list import and package (${framework}): vpc, tags, runtime image, create_image false`, async () => {
    const result = await packageService(join(__dirname, 'fixtures', 'container-lambda-fdl-keys'), framework);
    const output = result.stdout + result.stderr;
    validateTemplate(result.template);
    const fn = props(result.template, 'ScarDashinDashvpcLambdaFunction');
    assert.deepEqual(fn.VpcConfig.SubnetIds, ['subnet-0123abcd', 'subnet-4567efab']);
    assert.deepEqual(fn.VpcConfig.SecurityGroupIds, ['sg-0123abcd']);
    assert.deepEqual(
      [...fn.Tags].sort((a: Json, b: Json) => String(a.Key).localeCompare(String(b.Key))),
      [
        { Key: 'owner', Value: 'lab' },
        { Key: 'project', Value: 'plants' },
      ],
    );
    // In a VPC, the function's own role gets the VPC access policy (the framework's rule, the plugin's role).
    const role = Object.values(result.template.Resources).find(
      (r: Json) =>
        r.Type === 'AWS::IAM::Role' &&
        JSON.stringify(r.Properties.ManagedPolicyArns ?? []).includes('AWSLambdaVPCAccessExecutionRole'),
    );
    assert.ok(role, 'a role with the VPC access policy');
    assert.match(output, /lambda\.deployment: ignored \(the framework uploads the function/);
    assert.match(output, /lambda\.preheat: ignored/);
  });
}
