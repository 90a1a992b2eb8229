// An infrastructure (TaScaaS's node): registers, heartbeats, pulls partitions for its free slots and runs the
// program once per partition attempt, as TaScaaS's worker.py does, plus giving back the partitions that fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { ApiError, TascaasClient, type ClientOptions, type PartitionDelivery } from './client';

export interface InfrastructureOptions {
  /** The API's base URL. */
  endpoint: string;
  secret: string;
  /** Slots to start with; the server's requiredCap moves them between 1 and maxSlots. */
  slots: number;
  maxSlots: number;
  /** Run once per partition attempt, never through a shell. */
  program: string;
  /** Put before the six positional arguments of the partition. */
  args?: string[];
  /** Added to this process's environment (the TASCAAS_* variables of the partition win). */
  env?: Record<string, string>;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** How long to wait before pulling again when nothing came; 1000 ms when omitted. */
  pollMs?: number;
  /** The program's stdout/stderr: inherited, or each line prefixed with `[job/partition]` (the default). */
  output?: 'inherit' | 'prefix' | 'ignore';
  /** After SIGTERM, how long programs get to exit before SIGKILL; 10 s when omitted. */
  graceMs?: number;
  /** Stop on this process's SIGTERM/SIGINT; true when omitted. */
  handleSignals?: boolean;
  client?: ClientOptions;
}

export interface InfrastructureSummary {
  id: string;
  /** Programs started, and of those how many exited 0. */
  started: number;
  succeeded: number;
}

interface Running {
  delivery: PartitionDelivery;
  child: ChildProcess;
  exited: Promise<void>;
}

/** TaScaaS's rule: follow the server's requiredCap (a share of maxSlots) when it says one (> -0.1). */
export function slotsForCap(cap: number, maxSlots: number): number | undefined {
  if (!Number.isFinite(cap) || cap <= -0.1) return undefined;
  // The epsilon keeps 0.3 * 10 (3.0000000000000004) at 3 slots.
  return Math.max(1, Math.min(Math.ceil(cap * maxSlots - 1e-9), maxSlots));
}

/** The program's arguments after `args`, in worker.py's order. */
export function programArguments(delivery: PartitionDelivery): string[] {
  const { lease } = delivery;
  return [
    lease.inputUrl,
    delivery.lbUrl,
    lease.id,
    String(lease.partition),
    String(lease.reportSeconds),
    delivery.uploadRequestUrl,
  ];
}

/** The TASCAAS_* variables of one partition attempt. */
export function programEnvironment(delivery: PartitionDelivery, uploadUrl: string): Record<string, string> {
  const { lease } = delivery;
  return {
    TASCAAS_INPUT_URL: lease.inputUrl,
    TASCAAS_LB_URL: delivery.lbUrl,
    TASCAAS_JOB_ID: lease.id,
    TASCAAS_PARTITION: String(lease.partition),
    TASCAAS_REPORT_SECONDS: String(lease.reportSeconds),
    TASCAAS_UPLOAD_URL: uploadUrl,
    TASCAAS_ITERATIONS: String(lease.iterations),
    TASCAAS_UPLOAD_REQUEST_URL: delivery.uploadRequestUrl,
    TASCAAS_CHECKPOINT_REQUEST_URL: `${delivery.uploadRequestUrl}&kind=checkpoint`,
    ...(lease.resumeFrom > 0 ? { TASCAAS_RESUME_FROM: String(lease.resumeFrom) } : {}),
    ...(lease.resumeFrom > 0 && lease.checkpointUrl ? { TASCAAS_CHECKPOINT_URL: lease.checkpointUrl } : {}),
  };
}

function attemptOf(id: string): string {
  return id.split('.')[1] ?? '?';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs until the signal aborts (or SIGTERM/SIGINT): then stops pulling, stops its programs and disconnects. */
export async function runInfrastructure(options: InfrastructureOptions): Promise<InfrastructureSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const pollMs = options.pollMs ?? 1000;
  const graceMs = options.graceMs ?? 10_000;
  const maxSlots = options.maxSlots;
  if (!Number.isInteger(maxSlots) || maxSlots < 1) throw new Error('maxSlots must be a whole number >= 1');
  if (!Number.isInteger(options.slots) || options.slots < 1 || options.slots > maxSlots)
    throw new Error('slots must be a whole number between 1 and maxSlots');

  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGTERM', onAbort);
    process.on('SIGINT', onAbort);
  }

  const client = new TascaasClient(options.endpoint, options.client);
  const running = new Set<Running>();
  const summary = { id: '', started: 0, succeeded: 0 };
  let slots = options.slots;
  let scaleTime = 0;
  let wake = (): void => {};
  const nap = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = () => {};
        resolve();
      }
      wake = done;
    });
  stop.signal.addEventListener('abort', () => wake(), { once: true });

  const applyCap = (cap: number): void => {
    const wanted = slotsForCap(cap, maxSlots);
    if (wanted === undefined || wanted === slots) return;
    log(`slots ${slots} -> ${wanted} (requiredCap ${cap})`);
    slots = wanted;
    wake();
    client.update(summary.id, wanted).catch((error) => log(`update of slots failed: ${messageOf(error)}`));
  };

  let heartbeat: NodeJS.Timeout | undefined;
  const beat = (): void => {
    heartbeat = setTimeout(
      () => {
        client.update(summary.id, undefined, undefined, stop.signal).then(
          (status) => {
            if (Number.isFinite(status.scaleTime) && status.scaleTime > 0) scaleTime = status.scaleTime;
            applyCap(status.requiredCap);
          },
          (error) => {
            if (stop.signal.aborted) return;
            if (forgotten(error)) void registerAgain();
            else log(`heartbeat failed: ${messageOf(error)}`);
          },
        );
        if (!stop.signal.aborted) beat();
      },
      Math.max(1, scaleTime / 3) * 1000,
    );
  };

  // The server forgot this infrastructure (it was silent for five scale periods, or its table was reset): join
  // again under a new id. Programs already running keep their partitions through their own tokens.
  let registering: Promise<void> | undefined;
  const registerAgain = (): Promise<void> =>
    (registering ??= client
      .register(options.secret, slots, maxSlots, stop.signal)
      .then(
        (again) => {
          log(`the server no longer knows ${summary.id}: registered again as ${again.id}`);
          summary.id = again.id;
          scaleTime = again.scaleTime;
        },
        (error) => {
          if (!stop.signal.aborted) log(`registering again failed: ${messageOf(error)}`);
        },
      )
      .finally(() => {
        registering = undefined;
      }));

  const launch = async (delivery: PartitionDelivery): Promise<void> => {
    const { lease } = delivery;
    const name = `job ${lease.jobId} partition ${lease.partition}`;
    let uploadUrl: string;
    const channel = client.channel(delivery);
    try {
      uploadUrl = await channel.uploadUrl(lease, 'result');
    } catch (error) {
      log(`${name}: upload request failed, giving the partition back: ${messageOf(error)}`);
      await client.release(summary.id, lease).catch((e) => log(`${name}: release failed: ${messageOf(e)}`));
      return;
    } finally {
      await channel.close();
    }
    if (stop.signal.aborted) return;
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    // A worker started by a program of another job must not hand its variables on.
    for (const key of Object.keys(env)) if (key.startsWith('TASCAAS_')) delete env[key];
    Object.assign(env, programEnvironment(delivery, uploadUrl));
    const output = options.output ?? 'prefix';
    const child = spawn(options.program, [...(options.args ?? []), ...programArguments(delivery)], {
      shell: false,
      env,
      stdio: ['ignore', output === 'prefix' ? 'pipe' : output, output === 'prefix' ? 'pipe' : output],
    });
    if (output === 'prefix') {
      const tag = `[${lease.jobId}/${lease.partition}] `;
      prefixLines(child.stdout, (line) => process.stdout.write(`${tag}${line}\n`));
      prefixLines(child.stderr, (line) => process.stderr.write(`${tag}${line}\n`));
    }
    summary.started++;
    log(`started ${name} (attempt ${attemptOf(lease.id)}, ${lease.iterations} iterations)`);
    const exited = new Promise<void>((resolve) => {
      let settled = false;
      const end = (code: number | null, signal: NodeJS.Signals | null, problem?: string): void => {
        if (settled) return;
        settled = true;
        running.delete(entry);
        wake();
        const how = problem ?? (signal ? `signal ${signal}` : `exit code ${code}`);
        log(`finished ${name} (${how})`);
        if (code === 0) {
          summary.succeeded++;
          return resolve();
        }
        // At shutdown the disconnect gives every held partition back at once.
        if (stop.signal.aborted) return resolve();
        client
          .release(summary.id, lease)
          .then(() => log(`released ${name}`))
          .catch((error) => log(`${name}: release failed: ${messageOf(error)}`))
          .finally(resolve);
      };
      child.once('error', (error) => end(null, null, `could not start: ${error.message}`));
      child.once('close', (code, signal) => end(code, signal));
    });
    const entry: Running = { delivery, child, exited };
    running.add(entry);
  };

  try {
    const registration = await client
      .register(options.secret, slots, maxSlots, stop.signal)
      .catch((error) => {
        if (stop.signal.aborted) return undefined;
        throw error;
      });
    if (!registration) return summary;
    summary.id = registration.id;
    scaleTime = registration.scaleTime;
    log(`registered ${registration.id} (${slots}/${maxSlots} slots, scaleTime ${scaleTime} s)`);
    beat();

    while (!stop.signal.aborted) {
      const free = slots - running.size;
      if (free <= 0) {
        await nap(pollMs);
        continue;
      }
      let deliveries: PartitionDelivery[];
      try {
        const answer = await client.jobs(summary.id, free, stop.signal);
        applyCap(answer.requiredCap);
        deliveries = answer.deliveries;
      } catch (error) {
        if (stop.signal.aborted) break;
        if (forgotten(error)) await registerAgain();
        else log(`pulling partitions failed: ${messageOf(error)}`);
        await nap(pollMs);
        continue;
      }
      for (const delivery of deliveries) await launch(delivery);
      if (!deliveries.length) await nap(pollMs);
    }
  } finally {
    clearTimeout(heartbeat);
    options.signal?.removeEventListener('abort', onAbort);
    if (handleSignals) {
      process.off('SIGTERM', onAbort);
      process.off('SIGINT', onAbort);
    }
    await stopPrograms([...running], graceMs);
    if (summary.id) {
      await client.disconnect(summary.id).then(
        () => log(`disconnected ${summary.id}`),
        (error) => log(`disconnect failed: ${messageOf(error)}`),
      );
    }
    await client.close();
  }
  return summary;
}

async function stopPrograms(programs: Running[], graceMs: number): Promise<void> {
  for (const program of programs) program.child.kill('SIGTERM');
  const all = Promise.all(programs.map((p) => p.exited));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  if ((await Promise.race([all, late])) === 'late') {
    for (const program of programs)
      if (program.child.exitCode === null && program.child.signalCode === null) program.child.kill('SIGKILL');
    await all;
  }
  clearTimeout(timer);
}

function prefixLines(stream: NodeJS.ReadableStream | null, write: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) write(line);
  });
  stream.on('end', () => {
    if (rest) write(rest);
  });
}

/** The server's answer to an id it does not know (TaScaaS's `401 Unknown worker ID`). */
function forgotten(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
