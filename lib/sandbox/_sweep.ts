/**
 * Temp dirs of planes whose Deno process died without stop() (killed test runner): the
 * watchdogs end the servers, but nothing else removes the directories, so the next start
 * sweeps them.
 */

/** Marker file naming the pid of the Deno process that owns a plane's dir. */
export const OWNER_FILE = ".lattice-plane-owner";

/** Records this process as the owner of `dir`. */
export async function markOwner(dir: string): Promise<void> {
  await Deno.writeTextFile(`${dir}/${OWNER_FILE}`, String(Deno.pid));
}

/** Removes plane dirs under `root` whose owner process no longer exists. Best effort. */
export async function sweepStaleDirs(root: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(root)) {
      if (!entry.isDirectory || !entry.name.startsWith("lattice-")) continue;
      const dir = `${root}/${entry.name}`;
      let owner: number;
      try {
        owner = Number.parseInt(await Deno.readTextFile(`${dir}/${OWNER_FILE}`), 10);
      } catch {
        continue; // not a plane dir, or one still being created
      }
      if (!Number.isFinite(owner) || owner === Deno.pid || processExists(owner)) continue;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  } catch {
    // An unreadable temp root only means nothing gets swept.
  }
}

function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
