// `provider: oscar` end to end through the real CLI (serverless@3 and osls) against the contract server: OSCAR's
// API document validates every request the plugin sends and every answer it reads. deploy (create), deploy again
// (nothing changes), deploy after a change (update), invoke (sync and async), logs, info and remove.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runSls, type Framework } from './harness/sls';
import { startOscarContract, type OscarContract } from './harness/oscar/contract';

const FIXTURE = join(__dirname, 'fixtures', 'oscar-service');
const work = join(REPO_ROOT, '.tmp', 'fixtures', `oscar-e2e-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });

let contract: OscarContract;
before(async () => {
  contract = await startOscarContract();
});
after(async () => {
  await contract.close();
  rmSync(work, { recursive: true, force: true });
});

for (const framework of ['serverless', 'osls'] as const satisfies Framework[]) {
  describe(`provider: oscar under ${framework}`, () => {
    test('deploy, deploy again, deploy a change, invoke, logs, info and remove: every call as the API document says', async () => {
      contract.clear();
      contract.fake.reset();
      const dir = join(work, framework);
      cpSync(FIXTURE, dir, { recursive: true });
      const env = {
        OSCAR_ENDPOINT: contract.endpoint,
        OSCAR_USERNAME: contract.fake.username,
        OSCAR_PASSWORD: contract.fake.password,
      };
      const sls = async (args: string[], extra: Record<string, string> = {}) => {
        const run = await runSls(framework, args, { cwd: dir, env: { ...env, ...extra } });
        const output = run.stdout + run.stderr;
        assert.equal(run.code, 0, `sls ${args.join(' ')}:\n${output}`);
        assert.doesNotMatch(output, new RegExp(contract.fake.password), 'the password is never printed');
        return output;
      };

      const created = await sls(['deploy']);
      assert.match(created, /2 created, 0 updated, 0 unchanged, 0 removed/);
      assert.deepEqual([...contract.fake.services.keys()].sort(), ['grayify', 'plants']);

      assert.match(await sls(['deploy']), /0 created, 0 updated, 2 unchanged, 0 removed/);
      assert.match(
        await sls(['deploy'], { PLANTS_API_KEY: 'a-new-key' }),
        /0 created, 1 updated, 1 unchanged, 0 removed/,
      );

      // The fake's stand-in script answers the input upper-cased.
      assert.match(await sls(['invoke', '-f', 'plants', '--data', 'leaf']), /LEAF/);
      await sls(['invoke', '-f', 'plants', '--data', 'stem', '--async']);
      const jobs = contract.fake.jobs.get('plants');
      assert.equal(jobs?.size, 1);
      const [job] = [...(jobs?.keys() ?? [])];
      assert.match(await sls(['logs', '-f', 'plants']), new RegExp(job ?? 'no job'));
      assert.match(await sls(['logs', '-f', 'plants', '--job', job ?? '']), /STEM/);

      const info = await sls(['info']);
      assert.match(info, /plants/);
      assert.doesNotMatch(info, new RegExp(contract.fake.minio.secret_key), 'no MinIO secret in sls info');

      const removed = await sls(['remove']);
      assert.match(removed, /Removed 2 OSCAR service\(s\)/);
      assert.equal(contract.fake.services.size, 0);
      assert.ok(contract.fake.deletedBuckets.includes('plants'), contract.fake.deletedBuckets.join(', '));

      assert.deepEqual(
        contract.violations(),
        [],
        'every request and answer validates against the API document',
      );
    });

    test("invoke local runs the service's script here with OSCAR's variables, and says where OSCAR would upload", async () => {
      const dir = join(work, `${framework}-local`);
      cpSync(FIXTURE, dir, { recursive: true });
      writeFileSync(join(dir, 'leaf.jpg'), 'not really a picture');
      const run = await runSls(framework, ['invoke', 'local', '-f', 'plants', '--path', 'leaf.jpg'], {
        cwd: dir,
      });
      const output = run.stdout + run.stderr;
      assert.equal(run.code, 0, output);
      assert.equal(
        readFileSync(join(dir, 'plants-output', 'leaf.jpg.txt'), 'utf8'),
        'classified leaf.jpg with threshold 0.8\n',
      );
      assert.match(output, /leaf\.jpg\.txt -> minio\.default plants\/out\/leaf\.jpg\.txt/);
      assert.match(output, /leaf\.jpg\.txt -> s3\.aws my-bucket\/from-oscar\/leaf\.jpg\.txt/);
    });
  });
}
