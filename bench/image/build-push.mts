// `BENCH_ONLY=image npm run bench`: the registry builder on loopback. A real docker-registry (TLS, htpasswd)
// holds a busybox base; a cold build and push (empty cache: the Node.js runtime layer compressed once) then
// warm ones with only the script changed, timed through core/image with the bytes each uploads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assembleImage,
  nodeRuntimeLayer,
  pushImage,
  type ImageBuild,
  type ImageOptions,
} from '../../packages/core/src/image/index.ts';
import { loadBusyboxBase } from '../../test/harness/base-images.ts';
import {
  missingImageTools,
  IMAGE_TOOLS_INSTALL,
  REGISTRY_USER,
  startRegistry,
} from '../../test/harness/registry.ts';

const WARM_RUNS = Number(process.env.BENCH_RUNS ?? 3);

if (missingImageTools.length) {
  console.log(`image: skipped, needs ${missingImageTools.join(', ')}: ${IMAGE_TOOLS_INSTALL}`);
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'continuum-image-bench-'));
const registry = await startRegistry({ auth: 'htpasswd' });
try {
  const base = await loadBusyboxBase(registry);
  const auth = Buffer.from(`${REGISTRY_USER.username}:${REGISTRY_USER.password}`).toString('base64');
  writeFileSync(join(work, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
  const architecture = process.arch === 'arm64' ? 'arm64' : 'x86_64';
  const options: ImageOptions = {
    cacheDir: join(work, 'cache'),
    ca: registry.cert,
    dockerConfig: work,
    runtime: { node: process.execPath },
  };
  const supervisor = join(work, 'supervisor.js');
  writeFileSync(supervisor, 'console.log("a stand-in supervisor of 1 MB");\n'.repeat(22_000));
  const once = async (script: string) => {
    const started = process.hrtime.bigint();
    const runtime = await nodeRuntimeLayer(architecture, options);
    const build: ImageBuild = {
      base,
      architecture,
      layers: [
        runtime.layer,
        {
          description: 'the supervisor',
          files: [{ path: '/opt/continuum/supervisor.js', source: { file: supervisor } }],
        },
        {
          description: 'the script',
          files: [{ path: '/opt/continuum/script.sh', source: { bytes: script }, executable: true }],
        },
      ],
      config: { entrypoint: [...runtime.command, '/opt/continuum/supervisor.js'] },
    };
    const image = await assembleImage(build, options);
    const assembled = process.hrtime.bigint();
    const pushed = await pushImage(image, { registry: registry.host, repository: 'bench/fn' }, options);
    const done = process.hrtime.bigint();
    return {
      assembleS: Number(assembled - started) / 1e9,
      totalS: Number(done - started) / 1e9,
      bytes: pushed.uploadedBytes,
      blobs: pushed.uploadedBlobs,
      runtimeMB: image.layers[0]!.size / 1e6,
    };
  };
  const cold = await once('echo v0\n');
  const warm = [];
  for (let i = 1; i <= WARM_RUNS; i++) warm.push(await once(`echo v${i}\n`));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `\nimage: build and push on loopback (docker-registry over TLS, busybox base, Node.js ${process.version} from this machine)`,
  );
  console.log(
    `  cold (empty cache):     ${cold.totalS.toFixed(2)} s (assemble ${cold.assembleS.toFixed(2)} s), ${(cold.bytes / 1e6).toFixed(1)} MB in ${cold.blobs} blobs; runtime layer ${cold.runtimeMB.toFixed(1)} MB gzip`,
  );
  console.log(
    `  warm (script changed):  ${median(warm.map((w) => w.totalS)).toFixed(3)} s median of ${WARM_RUNS} (assemble ${median(warm.map((w) => w.assembleS)).toFixed(3)} s), ${median(warm.map((w) => w.bytes))} bytes in ${median(warm.map((w) => w.blobs))} blobs`,
  );
  const warmS = median(warm.map((w) => w.totalS));
  const warmBytes = median(warm.map((w) => w.bytes));
  console.log(
    `  targets: warm < 1 s ${warmS < 1 ? 'met' : 'MISSED'}; warm < 100 KB uploaded ${warmBytes < 100_000 ? 'met' : 'MISSED'}`,
  );
} finally {
  await registry.close();
  rmSync(work, { recursive: true, force: true });
}
