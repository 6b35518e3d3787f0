/**
 * CPU time of another process (and its live children, e.g. `rxvoice serve --workers N`'s workers), read
 * from /proc/<pid>/stat (Linux): utime + stime, fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
 * Used to report the sandbox's and the server's CPU beside the benchmark process's own.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 (getconf CLK_TCK) on every Linux the benchmarks run on

function ownCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after it start after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0; // gone, or not Linux
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** CPU ms used so far by `pid` and every live descendant. */
export function processTreeCpuMs(pid: number): number {
  return ownCpuMs(pid) + childrenOf(pid).reduce((sum, child) => sum + processTreeCpuMs(child), 0);
}

/** Starts measuring `pid`'s tree; the returned function gives the CPU ms used since. */
export function treeCpuMeter(pid: number | undefined): () => number {
  if (pid === undefined) return () => 0;
  const start = processTreeCpuMs(pid);
  return () => processTreeCpuMs(pid) - start;
}

/**
 * CPU ms used so far by each thread of `pid`, by thread id ("main" for the main thread). Node names every
 * thread "node", so the others (the VAD's worker, V8's GC helpers, libuv's pool) are told apart by id.
 */
export function threadCpuMs(pid: number = process.pid): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName; // not Linux
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = Number(tid) === pid ? 'main' : `thread ${tid}`;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

/** Starts measuring this process's threads; the returned function gives CPU ms per thread since. */
export function threadCpuMeter(pid: number = process.pid): () => Map<string, number> {
  const start = threadCpuMs(pid);
  return () => new Map([...threadCpuMs(pid)].map(([name, ms]) => [name, ms - (start.get(name) ?? 0)]));
}
