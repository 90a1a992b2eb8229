// `sls remove` through the real CLI (serverless@3 and osls) with the registry builder: once the stack is gone,
// the images this service pushed are deleted at a loopback ECR wire, or kept as asked, and a repository already
// gone fails nothing. The framework's stack and bucket steps are played by the fixture's stub-remove.js.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startEcrWire, type EcrWireOptions } from './harness/ecr-wire';
import { copyFixture, runSls, type Framework } from './harness/sls';

const FIXTURE = join(__dirname, 'fixtures', 'container-lambda-remove');
const REPOSITORY = 'serverless-continuum/continuum-remove-dev';
const OWNER = { 'serverless-continuum:service': 'continuum-remove', 'serverless-continuum:stage': 'dev' };
const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** A SCAR FDL file (written for this test) whose one function asks SCAR to keep its image. */
const KEEPING_FDL = `functions:
  aws:
  - lambda:
      name: scar-echo
      init_script: scripts/echo.sh
      container:
        image: public.ecr.aws/docker/library/busybox:1.36
    ecr:
      delete_image: false
`;

/** `sls remove` on a copy of the fixture (`custom` lines added under containerLambda) against an ECR wire. */
async function remove(
  framework: Framework,
  wireOptions: EcrWireOptions,
  custom: string[] = [],
  files: Record<string, string> = {},
) {
  const dir = copyFixture(FIXTURE);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  if (custom.length) {
    const file = join(dir, 'serverless.yml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      text.replace('  containerLambda:\n', `  containerLambda:\n${custom.map((l) => `    ${l}\n`).join('')}`),
    );
  }
  const ecr = await startEcrWire(wireOptions);
  try {
    const run = await runSls(framework, ['remove'], {
      cwd: dir,
      env: { AWS_ENDPOINT_URL_ECR: ecr.endpoint },
    });
    return {
      ...run,
      output: run.stdout + run.stderr,
      requests: ecr.requests,
      repositories: ecr.repositories,
    };
  } finally {
    await ecr.close();
  }
}

const STACK_STEPS = ['mark:emptyS3Bucket', 'mark:removeStack', 'mark:stackGone'];

for (const framework of ['serverless', 'osls'] as const) {
  describe(`sls remove with the registry builder (${framework})`, () => {
    test('deletes the repository the service made, with its images, once the stack is gone', async () => {
      const run = await remove(framework, {
        repositories: {
          [REPOSITORY]: {
            tags: OWNER,
            images: [
              { digest: digest('a'), tags: ['echo'] },
              { digest: digest('b'), tags: ['upper'] },
              { digest: digest('c'), tags: [] },
            ],
          },
        },
      });
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(
        run.requests.map((r) => r.operation),
        [...STACK_STEPS, 'DescribeRepositories', 'ListTagsForResource', 'ListImages', 'DeleteRepository'],
      );
      assert.deepEqual(run.requests.at(-1)?.body, { repositoryName: REPOSITORY, force: true });
      assert.equal(run.repositories.size, 0);
      assert.match(
        run.output,
        /Deleted the ECR repository serverless-continuum\/continuum-remove-dev \(made by this service\) with its 3 image\(s\)/,
      );
    });

    test('in a repository it did not make, deletes only its functions’ images', async () => {
      const run = await remove(
        framework,
        {
          repositories: {
            'team/images': {
              tags: {},
              images: [
                { digest: digest('a'), tags: ['echo'] },
                { digest: digest('d'), tags: ['someone-else'] },
              ],
            },
          },
        },
        ['repository: team/images'],
      );
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(run.requests.at(-1), {
        operation: 'BatchDeleteImage',
        body: { repositoryName: 'team/images', imageIds: [{ imageTag: 'echo' }, { imageTag: 'upper' }] },
      });
      assert.deepEqual(run.repositories.get('team/images')?.images, [
        { digest: digest('d'), tags: ['someone-else'] },
      ]);
      assert.match(
        run.output,
        /Deleted the image\(s\) echo from the ECR repository team\/images; the repository stays \(this service did not create it\)/,
      );
    });

    test('a repository already gone fails nothing', async () => {
      const run = await remove(framework, {});
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(
        run.requests.map((r) => r.operation),
        [...STACK_STEPS, 'DescribeRepositories'],
      );
      assert.match(
        run.output,
        /The ECR repository serverless-continuum\/continuum-remove-dev is already gone/,
      );
    });

    test('keepImages: no ECR call, and the command that deletes them', async () => {
      const run = await remove(framework, {}, ['keepImages: true']);
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(
        run.requests.map((r) => r.operation),
        STACK_STEPS,
      );
      assert.match(
        run.output,
        /The images of this service are kept in the ECR repository serverless-continuum\/continuum-remove-dev \(custom\.containerLambda\.keepImages\); delete them with: aws ecr delete-repository --force --repository-name serverless-continuum\/continuum-remove-dev --region us-east-1/,
      );
    });

    test('an FDL file’s ecr.delete_image: false keeps them too, as SCAR would', async () => {
      const run = await remove(framework, {}, ['fdl: scar.yaml'], { 'scar.yaml': KEEPING_FDL });
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(
        run.requests.map((r) => r.operation),
        STACK_STEPS,
      );
      assert.match(
        run.output,
        /kept in the ECR repository serverless-continuum\/continuum-remove-dev \(ecr\.delete_image: false in scar\.yaml\); delete them with: aws ecr delete-repository --force/,
      );
    });

    test('a refused ECR call is a warning with the command to finish by hand; the remove succeeds', async () => {
      const run = await remove(framework, {
        repositories: { [REPOSITORY]: { tags: OWNER, images: [] } },
        failing: { DeleteRepository: 'AccessDeniedException' },
      });
      assert.equal(run.code, 0, run.output);
      assert.match(
        run.output,
        /The images in the ECR repository serverless-continuum\/continuum-remove-dev were not deleted \(ECR DeleteRepository serverless-continuum\/continuum-remove-dev failed: AccessDeniedException: DeleteRepository is not allowed here\); delete them with: aws ecr batch-delete-image --repository-name serverless-continuum\/continuum-remove-dev --region us-east-1 --image-ids imageTag=echo imageTag=upper/,
      );
    });
  });
}
