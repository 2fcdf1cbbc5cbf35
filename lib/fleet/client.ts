/**
 * Reading a cell's live fleet state from outside (`lattice cluster tree --live`): the
 * snapshot endpoint once, or the event stream followed, with the caller's bearer token and
 * the cell's CA.
 */
import type { FleetDelta, FleetRow, FleetSnapshot } from "./view.ts";

/** Where and as whom to read. */
export interface FleetClientOptions {
  /** The cell's base URL, e.g. `https://localhost:8443`. */
  cellUrl: string;
  token: string;
  /** PEM of the CA that signed the cell's serving certificate (default: system roots). */
  caPem?: string;
  signal?: AbortSignal;
}

/** A refused or failed request, with the cell's message. */
export class FleetClientError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "FleetClientError";
  }
}

interface Opened {
  res: Response;
  close: () => void;
}

async function open(options: FleetClientOptions, path: string): Promise<Opened> {
  const client = options.caPem ? Deno.createHttpClient({ caCerts: [options.caPem] }) : undefined;
  const close = () => {
    try {
      client?.close();
    } catch { /* closed */ }
  };
  let res: Response;
  try {
    res = await fetch(new URL(path, options.cellUrl), {
      headers: { authorization: `Bearer ${options.token}` },
      signal: options.signal,
      client,
    });
  } catch (error) {
    close();
    throw new FleetClientError(
      `Cannot reach the cell at ${options.cellUrl}: ${(error as Error).message}`,
    );
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({})) as { message?: string };
    close();
    throw new FleetClientError(
      `The cell refused ${path} (HTTP ${res.status}): ${body.message ?? res.statusText}`,
      res.status,
    );
  }
  return { res, close };
}

/** The caller's visible fleet, once. */
export async function fetchFleet(options: FleetClientOptions): Promise<FleetSnapshot> {
  const { res, close } = await open(options, "/fleet/api/state");
  try {
    return await res.json() as FleetSnapshot;
  } finally {
    close();
  }
}

/** Follows the live stream: calls `onState` with the whole state after each event. */
export async function followFleet(
  options: FleetClientOptions,
  onState: (snapshot: FleetSnapshot) => boolean | void,
): Promise<void> {
  const { res, close } = await open(options, "/fleet/api/events");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const stop = () => void reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", stop, { once: true });
  let buffer = "";
  let state: FleetSnapshot | undefined;
  const rows = new Map<string, FleetRow>();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let at: number;
      while ((at = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        let event = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        if (!data) continue;
        if (event === "snapshot") {
          state = JSON.parse(data) as FleetSnapshot;
          rows.clear();
          for (const r of state.clusters) rows.set(r.name, r);
        } else if (event === "delta" && state) {
          const delta = JSON.parse(data) as FleetDelta;
          for (const r of delta.upserts) rows.set(r.name, r);
          for (const n of delta.removals) rows.delete(n);
          state = { ...state, at: delta.at, truncated: delta.truncated };
        } else continue;
        if (onState({ ...state!, clusters: [...rows.values()] }) === false) return;
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", stop);
    await reader.cancel().catch(() => {});
    close();
  }
}
