// ECR's API for function images, checked at the wire: the repository made at the first push (tagged with who
// made it, DescribeRepositories first) and what a removal deletes: that repository, or only the owner's images.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { removeEcrImages } from '../src/image';
import { ensureEcrRepository } from '../src/image/ecr';
import { startEcrWire, type EcrRepository, type EcrWireOptions } from '../../../test/harness/ecr-wire';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const CREDENTIALS = { accessKeyId: 'AKIAWIRE', secretAccessKey: 'wire' };
const OWNER = { 'serverless-continuum:service': 'thumbs', 'serverless-continuum:stage': 'dev' };
const wires: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const wire of wires) await wire.close();
});

async function wire(options: EcrWireOptions = {}) {
  const started = await startEcrWire(options);
  wires.push(started);
  return { ...started, options: { ecrEndpoint: started.endpoint, awsCredentials: CREDENTIALS } };
}

const image = (digest: string, ...tags: string[]) => ({ digest: `sha256:${digest.repeat(64)}`, tags });

describe('the repository at the first push', () => {
  test('is created when DescribeRepositories finds none: scan on push, tagged with who made it', async () => {
    const ecr = await wire();
    const created = await ensureEcrRepository(
      { registry: REGISTRY, repository: 'serverless-continuum/thumbs-dev', repositoryTags: OWNER },
      ecr.options,
    );
    assert.equal(created, true);
    assert.deepEqual(ecr.requests, [
      {
        operation: 'DescribeRepositories',
        body: { registryId: '123456789012', repositoryNames: ['serverless-continuum/thumbs-dev'] },
      },
      {
        operation: 'CreateRepository',
        body: {
          repositoryName: 'serverless-continuum/thumbs-dev',
          registryId: '123456789012',
          imageScanningConfiguration: { scanOnPush: true },
          tags: [
            { Key: 'serverless-continuum:service', Value: 'thumbs' },
            { Key: 'serverless-continuum:stage', Value: 'dev' },
          ],
        },
      },
    ]);
  });

  test('is used as it is when it exists: no CreateRepository (a deployer may lack that right)', async () => {
    const ecr = await wire({ repositories: { shared: { tags: {}, images: [] } } });
    assert.equal(
      await ensureEcrRepository(
        { registry: REGISTRY, repository: 'shared', repositoryTags: OWNER },
        ecr.options,
      ),
      false,
    );
    assert.deepEqual(
      ecr.requests.map((r) => r.operation),
      ['DescribeRepositories'],
    );
    assert.deepEqual(ecr.repositories.get('shared')?.tags, {});
  });

  test('a refused CreateRepository names the repository and ECR’s error', async () => {
    const ecr = await wire({ failing: { CreateRepository: 'AccessDeniedException' } });
    await assert.rejects(
      ensureEcrRepository({ registry: REGISTRY, repository: 'serverless-continuum/thumbs-dev' }, ecr.options),
      /ECR CreateRepository serverless-continuum\/thumbs-dev failed: AccessDeniedException: CreateRepository is not allowed here/,
    );
  });

  test('a registry that is not ECR gets no ECR call', async () => {
    assert.equal(await ensureEcrRepository({ registry: '127.0.0.1:5000', repository: 'x' }, {}), false);
  });
});

describe('the owner’s images on removal', () => {
  const request = {
    region: 'us-east-1',
    repository: 'serverless-continuum/thumbs-dev',
    ownerTags: OWNER,
    imageTags: ['thumb', 'resize'],
  };

  test('the repository it made goes, force, with every image (older untagged ones too)', async () => {
    const repositories: Record<string, EcrRepository> = {
      'serverless-continuum/thumbs-dev': {
        tags: { ...OWNER, team: 'imaging' },
        images: [image('a', 'thumb'), image('b', 'resize'), image('c')],
      },
    };
    const ecr = await wire({ repositories, pageSize: 2 });
    const outcome = await removeEcrImages(request, ecr.options);
    assert.deepEqual(outcome, { kind: 'repository', images: 3 });
    assert.deepEqual(ecr.requests, [
      { operation: 'DescribeRepositories', body: { repositoryNames: ['serverless-continuum/thumbs-dev'] } },
      {
        operation: 'ListTagsForResource',
        body: {
          resourceArn: 'arn:aws:ecr:us-east-1:123456789012:repository/serverless-continuum/thumbs-dev',
        },
      },
      { operation: 'ListImages', body: { repositoryName: 'serverless-continuum/thumbs-dev' } },
      {
        operation: 'ListImages',
        body: { repositoryName: 'serverless-continuum/thumbs-dev', nextToken: '2' },
      },
      {
        operation: 'DeleteRepository',
        body: { repositoryName: 'serverless-continuum/thumbs-dev', force: true },
      },
    ]);
    assert.equal(ecr.repositories.size, 0);
  });

  test('a repository it did not make keeps everything but the owner’s tagged images', async () => {
    const ecr = await wire({
      repositories: {
        'serverless-continuum/thumbs-dev': { tags: {}, images: [image('a', 'thumb'), image('c')] },
      },
    });
    const outcome = await removeEcrImages(request, ecr.options);
    assert.deepEqual(outcome, { kind: 'images', deleted: ['thumb'], reason: 'not-created-here', others: [] });
    assert.deepEqual(ecr.requests.at(-1), {
      operation: 'BatchDeleteImage',
      body: {
        repositoryName: 'serverless-continuum/thumbs-dev',
        imageIds: [{ imageTag: 'thumb' }, { imageTag: 'resize' }],
      },
    });
    assert.deepEqual(ecr.repositories.get('serverless-continuum/thumbs-dev')?.images, [image('c')]);
  });

  test('the repository it made stays when another service’s image is in it too', async () => {
    const ecr = await wire({
      repositories: {
        'serverless-continuum/thumbs-dev': {
          tags: OWNER,
          images: [image('a', 'thumb'), image('d', 'other-fn')],
        },
      },
    });
    const outcome = await removeEcrImages(request, ecr.options);
    assert.deepEqual(outcome, { kind: 'images', deleted: ['thumb'], reason: 'shared', others: ['other-fn'] });
    assert.ok(!ecr.requests.some((r) => r.operation === 'DeleteRepository'));
    assert.deepEqual(ecr.repositories.get('serverless-continuum/thumbs-dev')?.images, [
      image('d', 'other-fn'),
    ]);
  });

  test('a repository already gone is no failure', async () => {
    const ecr = await wire();
    assert.deepEqual(await removeEcrImages(request, ecr.options), { kind: 'gone' });
    assert.deepEqual(
      ecr.requests.map((r) => r.operation),
      ['DescribeRepositories'],
    );
  });

  test('a refused call names the repository and ECR’s error', async () => {
    const ecr = await wire({
      repositories: { 'serverless-continuum/thumbs-dev': { tags: OWNER, images: [] } },
      failing: { DeleteRepository: 'AccessDeniedException' },
    });
    await assert.rejects(
      removeEcrImages(request, ecr.options),
      /ECR DeleteRepository serverless-continuum\/thumbs-dev failed: AccessDeniedException: DeleteRepository is not allowed here/,
    );
  });
});
