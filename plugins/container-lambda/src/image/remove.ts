// The registry builder's images on `sls remove`, once the stack is gone: the repository the service made goes
// with its images, a repository it shares keeps everything but this service's images; or all is kept, as asked.
import { removeEcrImages, type RemoveImagesOutcome } from '@serverless-continuum/core/image';
import type { PluginUtils } from '@serverless-continuum/core/serverless';

export interface ServiceImages {
  region: string;
  repository: string;
  /** The repository's tags when this service created it (see `repositoryTags`). */
  ownerTags: Record<string, string>;
  /** The tags of this service's images: one per function built here. */
  imageTags: string[];
  awsCredentials?: unknown;
}

/** The commands that delete what was kept: the repository when it is the service's, else its images. */
export function deleteCommand(images: ServiceImages, whole: boolean): string {
  const at = `--repository-name ${images.repository} --region ${images.region}`;
  if (whole) return `aws ecr delete-repository --force ${at}`;
  return `aws ecr batch-delete-image ${at} --image-ids ${images.imageTags.map((tag) => `imageTag=${tag}`).join(' ')}`;
}

export function keptNotice(images: ServiceImages, why: string, ownRepository: boolean): string {
  return `The images of this service are kept in the ECR repository ${images.repository} (${why}); delete them with: ${deleteCommand(images, ownRepository)}`;
}

export function outcomeNotice(images: ServiceImages, outcome: RemoveImagesOutcome): string {
  const { repository } = images;
  switch (outcome.kind) {
    case 'gone':
      return `The ECR repository ${repository} is already gone: no image to delete`;
    case 'repository':
      return `Deleted the ECR repository ${repository} (made by this service) with its ${outcome.images} image(s)`;
    case 'images': {
      const what = outcome.deleted.length
        ? `Deleted the image(s) ${outcome.deleted.join(', ')} from the ECR repository ${repository}`
        : `No image of this service was left in the ECR repository ${repository}`;
      const why =
        outcome.reason === 'shared'
          ? `it also holds other images: ${outcome.others.join(', ')}`
          : 'this service did not create it';
      return `${what}; the repository stays (${why})`;
    }
  }
}

/** Deletes what the service pushed; a failure is a warning with the command to finish by hand (the stack is gone). */
export async function removeServiceImages(images: ServiceImages, utils: PluginUtils): Promise<void> {
  const progress = utils.progress.create({
    message: `Deleting this service's images from the ECR repository ${images.repository}`,
  });
  try {
    const outcome = await removeEcrImages(
      {
        region: images.region,
        repository: images.repository,
        ownerTags: images.ownerTags,
        imageTags: images.imageTags,
      },
      images.awsCredentials ? { awsCredentials: images.awsCredentials } : {},
    );
    utils.log.notice(outcomeNotice(images, outcome));
  } catch (error) {
    utils.log.warning(
      `The images in the ECR repository ${images.repository} were not deleted (${(error as Error).message}); delete them with: ${deleteCommand(images, false)}`,
    );
  } finally {
    progress.remove();
  }
}
