import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { packageService } from './harness/sls';
import { templateProblems, validateTemplate, type TemplateLike } from './harness/validate-template';

const fixture = join(__dirname, 'fixtures', 'core-harness');

/** A bucket, a queue and a role: the smallest template that lets each test break exactly one thing. */
function template(resources: Record<string, unknown>, extra: Record<string, unknown> = {}): TemplateLike {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          },
        },
      },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 60 } },
      ...resources,
    },
    ...extra,
  };
}

function assertFails(input: TemplateLike, ...expected: string[]): void {
  assert.throws(
    () => validateTemplate(input),
    (error: Error) => {
      for (const line of expected)
        assert.ok(error.message.includes(line), `missing "${line}" in:\n${error.message}`);
      return true;
    },
  );
}

describe('validateTemplate', () => {
  let frameworkTemplate: TemplateLike;
  before(async () => {
    frameworkTemplate = (await packageService(fixture, 'osls')).template as unknown as TemplateLike;
  });

  test("passes the framework's own output", () => {
    assert.ok(Object.keys(frameworkTemplate.Resources as object).includes('HelloLambdaFunction'));
    validateTemplate(frameworkTemplate);
  });

  test('fails a misspelt property, naming its path', () => {
    assertFails(
      template({ Data: { Type: 'AWS::S3::Bucket', Properties: { BuketName: 'data' } } }),
      'Resources.Data.Properties.BuketName: unknown property',
    );
  });

  test('fails a misspelt property deep inside nested property types and lists', () => {
    const bucket = {
      Type: 'AWS::S3::Bucket',
      Properties: {
        NotificationConfiguration: {
          LambdaConfigurations: [
            {
              Event: 's3:ObjectCreated:*',
              Function: { 'Fn::GetAtt': ['Fn', 'Arn'] },
              Filtre: { S3Key: { Rules: [{ Name: 'prefix', Value: 'in/' }] } },
            },
          ],
        },
      },
    };
    const fn = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ImageUri: 'repo@sha256:0' },
        PackageType: 'Image',
      },
    };
    assertFails(
      template({ Data: bucket, Fn: fn }),
      'Resources.Data.Properties.NotificationConfiguration.LambdaConfigurations[0].Filtre: unknown property',
    );
  });

  test('fails a misspelt key inside a map of property types', () => {
    const table = {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeTyp: 'S' }],
      },
    };
    assertFails(
      template({ Table: table }),
      'Resources.Table.Properties.AttributeDefinitions[0].AttributeTyp: unknown property',
      'Resources.Table.Properties.AttributeDefinitions[0].AttributeType: required',
    );
  });

  test('fails a literal of the wrong kind', () => {
    assertFails(
      template({
        Slow: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon', FifoQueue: 'yes' } },
        Data: {
          Type: 'AWS::S3::Bucket',
          Properties: { BucketName: ['a', 'b'], Tags: { Key: 'a', Value: 'b' } },
        },
      }),
      'Resources.Slow.Properties.VisibilityTimeout: expected an integer, got a string',
      'Resources.Slow.Properties.FifoQueue: expected a boolean, got a string',
      'Resources.Data.Properties.BucketName: expected a string, got a list',
      'Resources.Data.Properties.Tags: expected a list, got an object',
    );
  });

  test('accepts the literals CloudFormation itself converts (numbers as strings, "true")', () => {
    validateTemplate(
      template({
        Other: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: '30', FifoQueue: 'true' } },
      }),
    );
  });

  test('fails a value outside the allowed values the specification lists', () => {
    assertFails(
      template({ Data: { Type: 'AWS::S3::Bucket', Properties: { AccessControl: 'Secret' } } }),
      'Resources.Data.Properties.AccessControl: "Secret" is not one of',
    );
  });

  test('fails a whole number outside the allowed values the specification lists (a log retention of 8 days)', () => {
    const logs = (days: unknown) =>
      template({ Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: days } } });
    assertFails(logs(8), 'Resources.Logs.Properties.RetentionInDays: 8 is not one of 1, 3, 5, 7, 14, 30,');
    assertFails(
      logs('8'),
      'Resources.Logs.Properties.RetentionInDays: "8" is not one of 1, 3, 5, 7, 14, 30,',
    );
    validateTemplate(logs(30));
    validateTemplate(logs('1096'));
  });

  test('fails a missing required property', () => {
    assertFails(
      template({
        Permission: {
          Type: 'AWS::Lambda::Permission',
          Properties: { Action: 'lambda:InvokeFunction', FunctionName: 'f' },
        },
      }),
      'Resources.Permission.Properties.Principal: required',
    );
  });

  test('fails an unknown resource type and an unknown resource attribute', () => {
    assertFails(
      template({ Data: { Type: 'AWS::S3::Buckett', Propertys: {} } }),
      'Resources.Data.Type: unknown resource type AWS::S3::Buckett',
      'Resources.Data.Propertys: unknown resource attribute',
    );
  });

  test('fails a Ref, Fn::GetAtt, Fn::Sub or DependsOn that points at nothing', () => {
    assertFails(
      template({
        Policy: {
          Type: 'AWS::IAM::Policy',
          DependsOn: ['Queue', 'Ghost'],
          Properties: {
            PolicyName: 'p',
            Roles: [{ Ref: 'MissingRole' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'sqs:SendMessage',
                  Resource: { 'Fn::GetAtt': ['MissingQueue', 'Arn'] },
                },
                {
                  Effect: 'Allow',
                  Action: 's3:GetObject',
                  Resource: { 'Fn::Sub': '${Missing.Arn}/${AWS::Region}' },
                },
              ],
            },
          },
        },
      }),
      'Resources.Policy.DependsOn: depends on Ghost, which is not in the template',
      'Resources.Policy.Properties.Roles[0].Ref: refers to MissingRole, which is not a resource',
      'Resources.Policy.Properties.PolicyDocument.Statement[0].Resource.Fn::GetAtt: refers to MissingQueue',
      'Resources.Policy.Properties.PolicyDocument.Statement[1].Resource.Fn::Sub: refers to Missing,',
    );
  });

  test('fails an attribute the target resource type does not have', () => {
    assertFails(
      template({
        Fn: {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            Action: 'lambda:InvokeFunction',
            FunctionName: 'f',
            Principal: 's3.amazonaws.com',
            SourceArn: { 'Fn::GetAtt': ['Queue', 'BucketArn'] },
          },
        },
      }),
      'Resources.Fn.Properties.SourceArn.Fn::GetAtt: AWS::SQS::Queue has no attribute BucketArn',
    );
  });

  test('accepts intrinsic functions wherever a value goes, and pseudo parameters as Ref targets', () => {
    const input = template(
      {
        Data: {
          Type: 'AWS::S3::Bucket',
          Condition: 'IsProd',
          DependsOn: 'Queue',
          Properties: {
            BucketName: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, { Ref: 'Suffix' }]] },
            Tags: { 'Fn::If': ['IsProd', [{ Key: 'env', Value: 'prod' }], { Ref: 'AWS::NoValue' }] },
            VersioningConfiguration: { Status: { 'Fn::FindInMap': ['Settings', 'versioning', 'status'] } },
          },
        },
        Other: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            VisibilityTimeout: { Ref: 'Timeout' },
            QueueName: { 'Fn::Sub': ['${Name}-${AWS::Region}-${!Literal}', { Name: { Ref: 'Suffix' } }] },
            RedrivePolicy: {
              deadLetterTargetArn: { 'Fn::GetAtt': 'Queue.Arn' },
              maxReceiveCount: { 'Fn::Select': [0, { 'Fn::Split': [',', '3,4'] }] },
            },
            KmsMasterKeyId: { 'Fn::ImportValue': { 'Fn::Sub': '${AWS::StackName}-key' } },
            Tags: [{ Key: 'az', Value: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] } }],
          },
        },
      },
      {
        Parameters: { Suffix: { Type: 'String' }, Timeout: { Type: 'Number' } },
        Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Suffix' }, 'prod'] } },
        Mappings: { Settings: { versioning: { status: 'Enabled' } } },
      },
    );
    assert.deepEqual(templateProblems(input), []);
  });

  test('checks both branches of Fn::If against the property type', () => {
    assertFails(
      template(
        {
          Data: {
            Type: 'AWS::S3::Bucket',
            Properties: {
              VersioningConfiguration: {
                'Fn::If': ['IsProd', { Status: 'Enabled' }, { Statut: 'Suspended' }],
              },
              Tags: { 'Fn::If': ['IsProd', [{ Key: 'env', Value: 'prod' }], { Ref: 'AWS::NoValue' }] },
            },
          },
        },
        { Conditions: { IsProd: { 'Fn::Equals': ['a', 'b'] } } },
      ),
      'Resources.Data.Properties.VersioningConfiguration.Fn::If[2].Statut: unknown property',
      'Resources.Data.Properties.VersioningConfiguration.Fn::If[2].Status: required',
    );
  });

  test('accepts custom resources with any properties but checks their references', () => {
    assertFails(
      template({ Custom: { Type: 'Custom::S3', Properties: { BucketName: 'b', Role: { Ref: 'Nobody' } } } }),
      'Resources.Custom.Properties.ServiceToken: required',
      'Resources.Custom.Properties.Role.Ref: refers to Nobody',
    );
  });

  test('lists every problem of a template in one error', () => {
    const input = template({
      A: { Type: 'AWS::S3::Bucket', Properties: { BuketName: 'a' } },
      B: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: 'later' } },
    });
    assert.deepEqual(templateProblems(input), [
      'Resources.A.Properties.BuketName: unknown property',
      'Resources.B.Properties.DelaySeconds: expected an integer, got a string',
    ]);
  });

  test('checks references in Outputs too', () => {
    assertFails(
      template({}, { Outputs: { QueueArn: { Value: { 'Fn::GetAtt': ['Gone', 'Arn'] } } } }),
      'Outputs.QueueArn.Value.Fn::GetAtt: refers to Gone, which is not a resource of the template',
    );
  });
});
