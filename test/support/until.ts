/** Polls `probe` every 50 ms until it gives a value (`tries` times at most), for tests that watch a child process or a socket. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
