// One infrastructure of the bench: one slot, its programs throttled to BENCH_SPEED.
import { runInfrastructure } from '../../plugins/tascaas/dist/worker/index.js';

const [endpoint = '', secret = ''] = process.argv.slice(2);
await runInfrastructure({
  endpoint,
  secret,
  slots: 1,
  maxSlots: 1,
  program: process.execPath,
  args: [new URL('./program.mjs', import.meta.url).pathname],
  output: 'ignore',
  pollMs: 100,
  log: () => undefined,
});
