/**
 * A server process run under a tiny shell watchdog so it can never outlive the Deno process
 * that started it: the watchdog's stdin is a pipe from Deno, and when that pipe closes —
 * because stop() closed it, or because Deno died, even by SIGKILL — the watchdog kills the
 * server. The server's output goes to a log file so failures can show its tail.
 *
 * The watchdog runs in its own process group: a Ctrl-C in the terminal signals the
 * foreground group, and etcd, kube-apiserver and the Flux controllers (Go programs stop on
 * SIGINT even when started with it ignored) must not die under the operators still talking
 * to them. Deno alone gets the signal and stops everything in order (Sandbox.down).
 */

// $1 = log file, $2.. = the command. The server runs in the background with stdin from
// /dev/null; a guard subshell blocks on the pipe (fd 3, since an asynchronous list's stdin
// is /dev/null) and kills the server on EOF. `read` is a builtin, so the guard is a single
// process that the watchdog itself kills and reaps once the server has exited.
const WATCHDOG = `
log=$1; shift
"$@" </dev/null >>"$log" 2>&1 &
child=$!
echo "$child"
exec 3<&0
( read -r _ <&3; kill -KILL "$child" 2>/dev/null ) &
guard=$!
exec 3<&-
wait "$child"; code=$?
kill "$guard" 2>/dev/null; wait "$guard" 2>/dev/null
exit "$code"
`;

/** A supervised server process. */
export interface Supervised {
  /** Short name used in messages, e.g. "etcd". */
  readonly name: string;
  /** The server's own pid (not the watchdog's). */
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the server's exit code once it has exited and been reaped. */
  readonly exited: Promise<number>;
  /** Whether the server is still running. */
  running(): boolean;
  /** Kills the server (SIGKILL after `graceMs` of SIGTERM; 0 = at once) and waits for it. */
  kill(graceMs?: number): Promise<void>;
}

/** Options of {@link startSupervised}. */
export interface SuperviseOptions {
  /** Extra environment for the server. */
  env?: Record<string, string>;
}

/** Starts `command args...` under the watchdog, appending its output to `logPath`. */
export async function startSupervised(
  name: string,
  command: string[],
  logPath: string,
  options: SuperviseOptions = {},
): Promise<Supervised> {
  const child = new Deno.Command("sh", {
    args: ["-c", WATCHDOG, "sh", logPath, ...command],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env: options.env,
    // Out of the terminal's foreground group (see the module doc); the watchdog still ends
    // with Deno through its stdin pipe.
    detached: true,
  }).spawn();
  const stdin = child.stdin.getWriter();
  const pid = await readPid(child.stdout);
  let alive = true;
  const exited = child.status.then(async (status) => {
    alive = false;
    // The server is gone: release the pipe so the guard (if still around) ends too.
    await stdin.close().catch(() => {});
    return status.code;
  });
  if (pid === undefined) {
    await exited;
    throw new Error(`Cannot start ${name}: the watchdog reported no pid`);
  }
  return {
    name,
    pid,
    logPath,
    exited,
    running: () => alive,
    async kill(graceMs = 0) {
      if (!alive) {
        await exited;
        return;
      }
      signal(pid, graceMs > 0 ? "SIGTERM" : "SIGKILL");
      if (graceMs > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        });
        await Promise.race([exited, timeout]);
        clearTimeout(timer);
        if (alive) signal(pid, "SIGKILL");
      }
      // Closing the pipe makes the guard kill too, should the signal have raced an exec.
      await stdin.close().catch(() => {});
      await exited;
    },
  };
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // Already exited (ESRCH): the watchdog reaps it; nothing to do.
  }
}

/** Reads a stream up to its first newline, then cancels it; returns that line. */
export async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel();
  }
  return text.split("\n")[0];
}

async function readPid(stdout: ReadableStream<Uint8Array>): Promise<number | undefined> {
  const pid = Number.parseInt(await readFirstLine(stdout), 10);
  return Number.isFinite(pid) ? pid : undefined;
}

/** The last `lines` lines of a log file ("" when it cannot be read). */
export async function logTail(path: string, lines = 30): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
