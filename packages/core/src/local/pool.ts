// A fixed-size pool of worker threads running tasks of one kind; a worker that dies fails its task and is replaced.
import { Worker, type ResourceLimits } from 'node:worker_threads';

/** What the pool posts to a worker. */
export interface PoolRequest<T = unknown> {
  id: number;
  task: T;
}

/** What a worker posts once, when it has loaded everything it needs and can take tasks. */
export interface PoolReady {
  ready: true;
}

/** What a worker posts back, once per request. */
export type PoolResponse<R = unknown> =
  | { id: number; ok: true; result: R }
  | { id: number; ok: false; error: { message: string; name?: string; stack?: string } };

export interface WorkerPoolOptions {
  /** A CommonJS file the workers run: it posts `PoolReady` once, then answers each `PoolRequest` with one `PoolResponse`. */
  file: string;
  size: number;
  workerData?: unknown;
  resourceLimits?: ResourceLimits;
}

/** The error a task rejects with: the worker's error, with its name and stack kept. */
export class WorkerTaskError extends Error {
  constructor(message: string, name?: string, stack?: string) {
    super(message);
    this.name = name ?? 'WorkerTaskError';
    if (stack) this.stack = stack;
  }
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy?: { id: number; resolve: (r: unknown) => void; reject: (e: Error) => void };
}

export class WorkerPool<T, R> {
  private readonly slots: Slot[] = [];
  private readonly queue: Array<{ task: T; resolve: (r: unknown) => void; reject: (e: Error) => void }> = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError('a pool needs at least one worker');
    for (let i = 0; i < options.size; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Resolves when every worker has loaded (posted `PoolReady`); rejects with the first worker that failed
   * while loading, e.g. a user module that throws or lacks an export. Call it before the first task.
   */
  ready(): Promise<void> {
    return Promise.all(this.slots.map((s) => s.ready)).then(() => undefined);
  }

  /** Workers with no task and nothing queued for them. */
  get idle(): number {
    return Math.max(0, this.slots.filter((s) => !s.busy).length - this.queue.length);
  }

  run(task: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ task, resolve: resolve as (r: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Terminates every worker; tasks still running or queued are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new Error('the worker pool was closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.busy?.reject(new Error('the worker pool was closed'));
        slot.busy = undefined;
        await slot.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.file, {
      workerData: this.options.workerData,
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
    });
    let loaded!: () => void;
    let failedToLoad!: (error: Error) => void;
    let isReady = false;
    const ready = new Promise<void>((resolve, reject) => {
      loaded = resolve;
      failedToLoad = reject;
    });
    ready.catch(() => undefined);
    const slot: Slot = { worker, ready };
    worker.on('message', (msg: PoolResponse<R> | PoolReady) => {
      if ('ready' in msg) {
        isReady = true;
        loaded();
        // Referenced while loading (someone may await `ready()`); an idle worker never holds the process open.
        if (!slot.busy) worker.unref();
        return;
      }
      const busy = slot.busy;
      if (!busy || busy.id !== msg.id) return;
      slot.busy = undefined;
      if (msg.ok) busy.resolve(msg.result);
      else busy.reject(new WorkerTaskError(msg.error.message, msg.error.name, msg.error.stack));
      this.dispatch();
    });
    const onDeath = (error: Error): void => {
      if (!isReady) {
        // A worker that cannot even load fails the pool's readiness; it is not replaced (it would fail again).
        failedToLoad(error);
        return;
      }
      if (this.closed) return;
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      this.slots[index] = this.spawn();
      slot.busy?.reject(error);
      slot.busy = undefined;
      this.dispatch();
    };
    worker.on('error', (error) => onDeath(error));
    worker.on('exit', (code) =>
      onDeath(new Error(`a worker thread exited with code ${code} while running a task`)),
    );
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const next = this.queue.shift();
      if (!next) return;
      const id = this.nextId++;
      slot.busy = { id, resolve: next.resolve, reject: next.reject };
      slot.worker.ref();
      slot.worker.postMessage({ id, task: next.task } satisfies PoolRequest<T>);
    }
    for (const slot of this.slots) if (!slot.busy) slot.worker.unref();
  }
}
