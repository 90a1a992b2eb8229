// ECR's API (not its registry protocol): the client every image step shares, the repository made at the first
// push and tagged with who made it, and what `sls remove` deletes: that repository, or only the owner's images.
import type { ECRClient } from '@aws-sdk/client-ecr';
import { ContinuumError } from '../errors';
import { ecrRegistry } from './reference';

export interface EcrOptions {
  /** ECR's API endpoint, for tests at the wire; AWS's own (or `AWS_ENDPOINT_URL_ECR`) when omitted. */
  ecrEndpoint?: string;
  /** AWS credentials (the framework's, with its profile); the SDK's default chain when omitted. */
  awsCredentials?: unknown;
}

export async function ecrClient(region: string, options: EcrOptions): Promise<ECRClient> {
  const { ECRClient } = await import('@aws-sdk/client-ecr');
  return new ECRClient({
    region,
    ...(options.ecrEndpoint ? { endpoint: options.ecrEndpoint } : {}),
    ...(options.awsCredentials ? { credentials: options.awsCredentials as never } : {}),
  });
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? 'Error';
}

function failure(what: string, error: unknown): ContinuumError {
  return new ContinuumError(
    'CONTINUUM_IMAGE',
    `ECR ${what} failed: ${errorName(error)}: ${(error as Error).message}`,
  );
}

/**
 * Makes the repository when it is not there (DescribeRepositories first: a deployer allowed to push to an
 * existing repository needs no CreateRepository right), scan on push, with `tags` saying who made it.
 * Returns whether it was created.
 */
export async function ensureEcrRepository(
  target: { registry: string; repository: string; repositoryTags?: Record<string, string> },
  options: EcrOptions,
): Promise<boolean> {
  const ecr = ecrRegistry(target.registry);
  if (!ecr) return false;
  const { CreateRepositoryCommand, DescribeRepositoriesCommand } = await import('@aws-sdk/client-ecr');
  const client = await ecrClient(ecr.region, options);
  try {
    try {
      await client.send(
        new DescribeRepositoriesCommand({ registryId: ecr.account, repositoryNames: [target.repository] }),
      );
      return false;
    } catch (error) {
      if (errorName(error) !== 'RepositoryNotFoundException')
        throw failure(`DescribeRepositories ${target.repository}`, error);
    }
    const tags = Object.entries(target.repositoryTags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    try {
      await client.send(
        new CreateRepositoryCommand({
          repositoryName: target.repository,
          registryId: ecr.account,
          imageScanningConfiguration: { scanOnPush: true },
          ...(tags.length ? { tags } : {}),
        }),
      );
      return true;
    } catch (error) {
      // Another deploy made it meanwhile: it is not ours to delete later, as its tags will say.
      if (errorName(error) === 'RepositoryAlreadyExistsException') return false;
      throw failure(`CreateRepository ${target.repository}`, error);
    }
  } finally {
    client.destroy();
  }
}

export interface RemoveImagesRequest {
  region: string;
  repository: string;
  /** The tags the owner's repository was created with (`ensureEcrRepository`'s `repositoryTags`). */
  ownerTags: Record<string, string>;
  /** The image tags the owner pushes (one per function): its images, in a repository it may share. */
  imageTags: string[];
}

export type RemoveImagesOutcome =
  | { kind: 'gone' }
  /** The owner's own repository, with every image in it (`images` distinct digests). */
  | { kind: 'repository'; images: number }
  /** A repository made by someone else, or holding other images too: only the owner's tags deleted. */
  | { kind: 'images'; deleted: string[]; reason: 'not-created-here' | 'shared'; others: string[] };

/**
 * The owner's images on removal. Its repository (tagged `ownerTags` when created) goes with every image
 * when each tagged image in it is one of `imageTags`; otherwise only the images under `imageTags` go. A
 * repository that is not there is no failure.
 */
export async function removeEcrImages(
  request: RemoveImagesRequest,
  options: EcrOptions,
): Promise<RemoveImagesOutcome> {
  const ecr = await import('@aws-sdk/client-ecr');
  const client = await ecrClient(request.region, options);
  const repositoryName = request.repository;
  /** One call; its failure names the operation and the repository. */
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw Object.assign(failure(`${operation} ${repositoryName}`, error), { ecrError: errorName(error) });
    }
  };
  try {
    const found = await call('DescribeRepositories', () =>
      client.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: [repositoryName] })),
    );
    const arn = found.repositories?.[0]?.repositoryArn;
    const tags = arn
      ? ((
          await call('ListTagsForResource', () =>
            client.send(new ecr.ListTagsForResourceCommand({ resourceArn: arn })),
          )
        ).tags ?? [])
      : [];
    const created = Object.entries(request.ownerTags).every(([key, value]) =>
      tags.some((tag) => tag.Key === key && tag.Value === value),
    );
    const digests = new Set<string>();
    const others = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await call('ListImages', () =>
        client.send(new ecr.ListImagesCommand({ repositoryName, ...(nextToken ? { nextToken } : {}) })),
      );
      for (const id of page.imageIds ?? []) {
        if (id.imageDigest) digests.add(id.imageDigest);
        if (id.imageTag && !request.imageTags.includes(id.imageTag)) others.add(id.imageTag);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    if (created && !others.size) {
      await call('DeleteRepository', () =>
        client.send(new ecr.DeleteRepositoryCommand({ repositoryName, force: true })),
      );
      return { kind: 'repository', images: digests.size };
    }
    const deleted: string[] = [];
    // BatchDeleteImage takes at most 100 image ids; deleting an image's last tag deletes the image.
    for (let start = 0; start < request.imageTags.length; start += 100) {
      const chunk = request.imageTags.slice(start, start + 100);
      const answer = await call('BatchDeleteImage', () =>
        client.send(
          new ecr.BatchDeleteImageCommand({
            repositoryName,
            imageIds: chunk.map((imageTag) => ({ imageTag })),
          }),
        ),
      );
      for (const id of answer.imageIds ?? []) if (id.imageTag) deleted.push(id.imageTag);
      const failed = (answer.failures ?? []).filter((f) => f.failureCode !== 'ImageNotFound');
      if (failed[0]) {
        throw new ContinuumError(
          'CONTINUUM_IMAGE',
          `ECR BatchDeleteImage in ${repositoryName} failed for ${failed.map((f) => `${f.imageId?.imageTag ?? f.imageId?.imageDigest}: ${f.failureCode}`).join(', ')}`,
        );
      }
    }
    return {
      kind: 'images',
      deleted,
      reason: created ? 'shared' : 'not-created-here',
      others: [...others].sort(),
    };
  } catch (error) {
    // Not there at the first call, or deleted by another remove meanwhile: nothing left to delete.
    if ((error as { ecrError?: string }).ecrError === 'RepositoryNotFoundException') return { kind: 'gone' };
    throw error;
  } finally {
    client.destroy();
  }
}
