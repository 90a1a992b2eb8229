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
const OIDC_TOKEN = `oidc-${randomBytes(8).toString('hex')}`;
const work = join(REPO_ROOT, '.tmp', 'fixtures', `oscar-e2e-${randomBytes(4).toString('hex')}`);
mkdirSync(work, { recursive: true });

let contract: OscarContract;
before(async () => {
  // fdl-workflows.yml authenticates with an OIDC access token: this one.
  contract = await startOscarContract({ acceptToken: (token) => token === OIDC_TOKEN });
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

test("OSCAR's example FDL files and the OSCAR part of SCAR's mask-detector workflow deploy to the cluster", async () => {
  contract.clear();
  contract.fake.reset();
  const dir = join(work, 'fdl');
  cpSync(FIXTURE, dir, { recursive: true });
  cpSync(join(__dirname, 'fixtures', 'oscar-fdl'), join(dir, 'fdl'), { recursive: true });
  const scar = 'mask-detector-workflow__scar-mask-detector-workflow.yaml';
  cpSync(join(__dirname, 'fixtures', 'reference', 'scar', scar), join(dir, 'fdl', scar));
  const env = {
    OSCAR_ENDPOINT: contract.endpoint,
    OSCAR_USERNAME: contract.fake.username,
    OSCAR_PASSWORD: contract.fake.password,
    OSCAR_TOKEN: OIDC_TOKEN,
  };
  const deploy = (config: string) => runSls('osls', ['deploy', '--config', config], { cwd: dir, env });
  const examples = await deploy('fdl-examples.yml');
  assert.equal(examples.code, 0, examples.stdout + examples.stderr);
  assert.match(examples.stdout + examples.stderr, /\d+ created, 0 updated, 0 unchanged, 0 removed/);
  const deployed = contract.fake.services.size;
  // Both files define grayify: the second service may not take over the first one's.
  const taken = await deploy('fdl-workflows.yml');
  assert.notEqual(taken.code, 0);
  assert.match(
    taken.stdout + taken.stderr,
    /deploy of service grayify: a service of that name exists .* belongs to oscar-examples-dev/,
  );
  assert.equal(contract.fake.services.size, deployed, 'nothing was deployed by the refused deploy');
  contract.fake.reset();
  const workflows = await deploy('fdl-workflows.yml');
  assert.equal(workflows.code, 0, workflows.stdout + workflows.stderr);
  assert.match(workflows.stdout + workflows.stderr, /\d+ created, 0 updated, 0 unchanged, 0 removed/);
  assert.ok(deployed >= 5, `${deployed} services from OSCAR's examples`);
  assert.deepEqual(contract.violations(), []);
});
