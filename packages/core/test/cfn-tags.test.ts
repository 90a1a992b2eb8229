// Tags in the shape each resource type takes, and the EFS grant narrowed to one access point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { efsAccessPointStatements, withTags } from '../src/cfn';

test('a role, a log group and a bucket take a Key/Value list; a Batch queue, environment and job a map', () => {
  const tags = { project: 'plants', owner: 'lab' };
  assert.deepEqual(withTags({ Type: 'AWS::IAM::Role', Properties: {} }, tags).Properties, {
    Tags: [
      { Key: 'owner', Value: 'lab' },
      { Key: 'project', Value: 'plants' },
    ],
  });
  assert.deepEqual(withTags({ Type: 'AWS::Batch::JobQueue', Properties: {} }, tags).Properties, {
    Tags: tags,
  });
});

test("a resource's own tag keeps its value, and a type that takes no tags is left as it is", () => {
  const bucket = { Type: 'AWS::S3::Bucket', Properties: { Tags: [{ Key: 'owner', Value: 'data-team' }] } };
  assert.deepEqual(withTags(bucket, { owner: 'lab', project: 'plants' }).Properties, {
    Tags: [
      { Key: 'owner', Value: 'data-team' },
      { Key: 'project', Value: 'plants' },
    ],
  });
  const profile = { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [] } };
  assert.equal(withTags(profile, { owner: 'lab' }), profile);
});

test('EFS: ClientMount and ClientWrite on the file systems of that account and region, for that access point only', () => {
  const accessPoint = 'arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0123456789abcdef0';
  assert.deepEqual(efsAccessPointStatements(accessPoint), [
    {
      Effect: 'Allow',
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Resource: ['arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/*'],
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint } },
    },
  ]);
});
