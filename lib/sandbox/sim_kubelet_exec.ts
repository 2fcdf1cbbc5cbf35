/**
 * The simulated kubelet's streaming protocol (sandbox only): `v5.channel.k8s.io` over
 * WebSocket, as kube-apiserver ≥ 1.36 proxies exec and attach straight to a kubelet that
 * declares `ExtendWebSocketsToKubelet`. Every message is one channel byte then data:
 * 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status when the process ends), 4 resize
 * (`{"Width":w,"Height":h}`), 255 close (`[255, channel]`: that stream's half-close).
 */

/** The subprotocol spoken (kubectl ≥ 1.30 offers it first). */
export const V5_PROTOCOL = "v5.channel.k8s.io";

/** Channels of the protocol. */
export const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** A terminal size sent on the resize channel. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** The Status the error channel carries when a process ended with `code`. */
export function exitStatus(code: number, command: string[]): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: "Success" });
  return JSON.stringify({
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command ${
      JSON.stringify(command)
    }, exit code ${code}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  });
}

/** A Status for a failure to start (e.g. the command does not exist). */
export function failureStatus(message: string): string {
  return JSON.stringify({ metadata: {}, status: "Failure", message, reason: "InternalError" });
}

/** A message on `channel`. */
export function channelMessage(channel: number, data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const out = new Uint8Array(bytes.length + 1);
  out[0] = channel;
  out.set(bytes, 1);
  return out;
}

/** Options of one streaming session (exec or attach). */
export interface SessionOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * Reads the session flags of a kubelet exec/attach query: the apiserver names them `input`,
 * `output`, `error` and `tty` (`=1`); the pod API's names (`stdin=true`...) are accepted too.
 */
export function sessionOptions(query: URLSearchParams): SessionOptions {
  const on = (...names: string[]) => names.some((n) => ["true", "1"].includes(query.get(n) ?? ""));
  return {
    stdin: on("input", "stdin"),
    stdout: on("output", "stdout"),
    stderr: on("error", "stderr"),
    tty: on("tty"),
  };
}

/** A process a session talks to: its input, its output listeners, its end. */
export interface SessionTarget {
  write(data: Uint8Array): Promise<void>;
  closeStdin(): void;
  /** Subscribes to output; returns the unsubscribe function. */
  listen(fn: (channel: 1 | 2, data: Uint8Array) => Promise<void> | void): () => void;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  command: string[];
}

/**
 * Serves one WebSocket session over `target`: stdin and its half-close in, output out,
 * resizes recorded with `onResize`, the exit status on the error channel, then close.
 * `detach` (attach sessions) leaves the process running when the caller goes.
 */
export function serveSession(
  socket: WebSocket,
  target: SessionTarget,
  options: SessionOptions & { onResize(size: TerminalSize): void; onClose(): void },
): void {
  socket.binaryType = "arraybuffer";
  let unlisten = () => {};
  let ended = false;
  const send = async (bytes: Uint8Array) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(bytes);
    // Backpressure: the output waits while the socket holds more than 1 MiB unsent.
    while (socket.readyState === WebSocket.OPEN && socket.bufferedAmount > 1 << 20) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  socket.onopen = () => {
    unlisten = target.listen((channel, data) => {
      if (channel === 1 && !options.stdout) return;
      if (channel === 2 && !options.stderr && !options.tty) return;
      // A TTY has one output stream.
      return send(channelMessage(options.tty ? 1 : channel, data));
    });
    target.exited.then((code) => {
      ended = true;
      void send(channelMessage(CH.error, exitStatus(code, target.command)));
      // Let the last output leave before the close.
      setTimeout(() => {
        if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      }, 50);
    });
  };
  socket.onmessage = (event: MessageEvent) => {
    const data = typeof event.data === "string"
      ? new TextEncoder().encode(event.data)
      : new Uint8Array(event.data);
    if (data.length === 0) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === CH.stdin && options.stdin) {
      target.write(payload.slice()).catch(() => {});
    } else if (channel === CH.resize) {
      try {
        const size = JSON.parse(new TextDecoder().decode(payload));
        options.onResize({ width: Number(size.Width), height: Number(size.Height) });
      } catch { /* a bad resize is ignored, as the kubelet does */ }
    } else if (channel === CH.close && payload[0] === CH.stdin) {
      target.closeStdin();
    }
  };
  socket.onclose = () => {
    unlisten();
    if (!ended) options.onClose();
  };
}
