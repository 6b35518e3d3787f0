import cluster, { type Worker } from 'node:cluster';

export interface ClusterOptions {
  /** Worker processes to keep running. */
  readonly workers: number;
  /** Environment for every worker (on top of the primary's). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long SIGTERM waits for workers to drain before killing them, in ms. */
  readonly drainMs: number;
  readonly log: (line: string) => void;
}

/**
 * Runs in the cluster primary: forks `workers` processes that share the listening port (node:cluster
 * hands connections out round-robin), replaces one that dies unexpectedly (the others' calls go on), and on
 * SIGTERM/SIGINT forwards SIGTERM to every worker so each drains its own calls. Resolves with the exit code when all are gone
 * (1 when no worker ever started listening).
 */
export function superviseWorkers(options: ClusterOptions): Promise<number> {
  let stopping = false;
  let everListened = false;
  const fork = (): Worker => cluster.fork({ ...options.env });
  cluster.on('listening', (worker, address) => {
    everListened = true;
    options.log(`worker ${worker.process.pid} listening on port ${address.port}`);
  });
  for (let i = 0; i < options.workers; i++) fork();
  return new Promise<number>((resolve) => {
    let exitCode = 0;
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      if (!everListened) {
        // No worker ever started (a busy port, a bad option): replacing them would loop forever.
        exitCode = 1;
        stop();
        return;
      }
      options.log(`worker ${worker.process.pid} exited (${signal ?? code}); starting a replacement`);
      // A worker that cannot even start would otherwise respawn in a tight loop.
      setTimeout(fork, 500).unref();
    });
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      if (workers.length === 0) return resolve(exitCode);
      let left = workers.length;
      // Grace on top of the workers' own drain deadline, then a hard stop so the primary never hangs.
      const kill = setTimeout(() => workers.forEach((w) => w.process.kill('SIGKILL')), options.drainMs + 5000);
      for (const w of workers) {
        w.once('exit', () => {
          if (--left === 0) {
            clearTimeout(kill);
            resolve(exitCode);
          }
        });
        w.process.kill('SIGTERM');
      }
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
