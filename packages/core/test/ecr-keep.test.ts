// keepEcrRepositoryOnRemove against the real remove step of serverless@3 and osls: their `remove:remove` hook
// runs as shipped; only its AWS calls are replaced by recorders (the steps before the repository are not ours).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { keepEcrRepositoryOnRemove, type ServerlessLike } from '../src/serverless';

const ROOT = join(__dirname, '..', '..', '..', 'node_modules');

interface RemoveStep {
  hooks: Record<string, () => Promise<void>>;
  [step: string]: unknown;
}

/** The framework's own AwsRemove plugin, its AWS calls recorded instead of sent. */
function removeStep(framework: 'serverless' | 'osls', calls: string[]): RemoveStep {
  const AwsRemove = require(join(ROOT, framework, 'lib', 'plugins', 'aws', 'remove', 'index.js')) as new (
    serverless: unknown,
    options: unknown,
  ) => RemoveStep;
  const serverless = {
    getProvider: () => ({}),
    processedInput: { commands: ['remove'] },
    service: { service: 'scar', provider: {} },
  };
  const remove = new AwsRemove(serverless, {});
  for (const step of [
    'validate',
    'emptyS3Bucket',
    'ensureStackIsNotDeletionProtected',
    'removeStack',
    'monitorStack',
    'removeEcrRepository',
  ]) {
    remove[step] = async () => {
      calls.push(step);
    };
  }
  // The repository exists: the framework would delete it.
  remove.checkIfEcrRepositoryExists = async () => true;
  return remove;
}

for (const framework of ['serverless', 'osls'] as const) {
  describe(`the image repository on sls remove (${framework})`, () => {
    test('is deleted by the framework after the stack, by default', async () => {
      const calls: string[] = [];
      await removeStep(framework, calls).hooks['remove:remove']!();
      assert.equal(calls.at(-1), 'removeEcrRepository');
      assert.ok(calls.includes('removeStack'));
    });

    test('is kept, and the stack still removed, once keepEcrRepositoryOnRemove ran', async () => {
      const calls: string[] = [];
      const remove = removeStep(framework, calls);
      const kept = keepEcrRepositoryOnRemove({
        pluginManager: { plugins: [{}, remove] },
      } as unknown as ServerlessLike);
      assert.equal(kept, true);
      await remove.hooks['remove:remove']!();
      assert.ok(calls.includes('removeStack'));
      assert.ok(!calls.includes('removeEcrRepository'), calls.join(', '));
    });
  });
}

test('keepEcrRepositoryOnRemove says so when no remove step is there', () => {
  assert.equal(
    keepEcrRepositoryOnRemove({ pluginManager: { plugins: [] } } as unknown as ServerlessLike),
    false,
  );
});
