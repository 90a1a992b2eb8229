// `npm run local`: the whole job on this machine, as you would run it by hand in four terminals:
//   sls tascaas serve --local --port 0                      (prints its URL and a secret)
//   TASCAAS_SECRET=... sls tascaas worker --local --endpoint URL --slots 2 -- node pi.mjs   (twice)
//   sls tascaas submit --local --endpoint URL --job montecarlo --iterations N --time T
// then follows `sls tascaas status` until the job is COMPLETED and adds up the partitions' results.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ITERATIONS = Number(process.env.ITERATIONS ?? 100_000_000);
const TIME = Number(process.env.TIME ?? 20);
const cli = ['serverless', 'osls']
  .map((name) => join('node_modules', name, 'bin', 'serverless.js'))
  .find((path) => existsSync(path));
if (!cli) throw new Error('no serverless (or osls) in node_modules: run npm install first');

const children = [];
const sls = (args, env = {}) => {
  const child = spawn(process.execPath, [cli, 'tascaas', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
};
const stopAll = () => children.forEach((child) => child.exitCode === null && child.kill('SIGTERM'));
process.on('exit', stopAll);
/** Workers first (they disconnect from the server), then the server. */
async function shutDown(server) {
  const workers = children.filter((child) => child !== server && child.exitCode === null);
  await Promise.all(
    workers.map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'))),
  );
  stopAll();
}

/** The lines a command prints, until `until` has seen what it waits for. */
function readLines(child, until) {
  return new Promise((resolve, reject) => {
    const found = {};
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (until(line, found)) resolve(found);
    });
    child.once('exit', (code) =>
      reject(new Error(`sls tascaas ${child.spawnargs.slice(3).join(' ')} exited ${code}`)),
    );
  });
}

async function output(args, env) {
  const child = sls(args, env);
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (text += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`sls tascaas ${args.join(' ')} exited ${code}`);
  return text.trim();
}

const server = sls(['serve', '--local', '--port', '0']);
const { url, secret } = await readLines(server, (line, found) => {
  if (/^http:\/\/\S+$/.test(line.trim())) found.url = line.trim();
  if (line.startsWith('secret: ')) found.secret = line.slice('secret: '.length).trim();
  return found.url && found.secret;
});
console.log(`local API: ${url}`);
const env = { TASCAAS_SECRET: secret };
for (let i = 0; i < 2; i++) {
  const worker = sls(
    ['worker', '--local', '--endpoint', url, '--slots', '2', '--', process.execPath, 'pi.mjs'],
    env,
  );
  worker.stdout.pipe(process.stdout);
}
const submitted = await output(
  [
    'submit',
    '--local',
    '--endpoint',
    url,
    '--job',
    'montecarlo',
    '--iterations',
    String(ITERATIONS),
    '--time',
    String(TIME),
  ],
  env,
);
const id = submitted.split('\n').at(-1);
console.log(`job ${id}: ${ITERATIONS} iterations, target ${TIME} s`);

let status;
for (;;) {
  status = JSON.parse(await output(['status', '--local', '--endpoint', url, '--id', id, '--json'], env));
  if (status.state !== 'RUNNING') break;
  console.log(`  ${status.done} of ${status.iterations} done, ETA ${status.eta ?? '?'} s`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
console.log(await output(['status', '--local', '--endpoint', url, '--id', id], env));
if (status.state !== 'COMPLETED') {
  console.error(`job ${id} ${status.state}: ${status.failed ?? ''}`);
  await shutDown(server);
  process.exit(1);
}
// Local buckets are folders under .tascaas/objects/ (what S3 is on AWS).
const objects = join('.tascaas', 'objects');
const manifest = JSON.parse(readFileSync(join(objects, status.manifest), 'utf8'));
let inside = 0;
let total = 0;
for (const partition of manifest.partitions) {
  const bucket = status.manifest.split('/')[0];
  const result = JSON.parse(readFileSync(join(objects, bucket, partition.result), 'utf8'));
  const counts = JSON.parse(result.state);
  inside += counts.inside;
  total += counts.total;
}
console.log(`pi ~ ${(4 * inside) / total} from ${total} points in ${manifest.partitions.length} partitions`);
if (total !== ITERATIONS) {
  console.error(`expected ${ITERATIONS} points, counted ${total}`);
  process.exitCode = 1;
}
await shutDown(server);
