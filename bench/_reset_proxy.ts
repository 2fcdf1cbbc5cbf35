/**
 * A TCP pass-through proxy whose live connections can be cut on demand: forced watch
 * resets that look like real network failures (TLS passes through untouched).
 */

/** A running proxy. */
export interface ResetProxy {
  port: number;
  /** Cuts every live connection; returns how many were cut. */
  reset(): number;
  close(): void;
}

/** Proxies 127.0.0.1:<random> to 127.0.0.1:`targetPort`. */
export function startResetProxy(targetPort: number): ResetProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const pairs: [Deno.Conn, Deno.Conn][] = [];
  (async () => {
    for await (const down of listener) {
      try {
        const up = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
        conns.add(down).add(up);
        pairs.push([down, up]);
        down.readable.pipeTo(up.writable).catch(() => {});
        up.readable.pipeTo(down.writable).catch(() => {});
      } catch {
        down.close();
      }
    }
  })().catch(() => {});
  const cut = () => {
    let n = 0;
    for (const [a, b] of pairs.splice(0)) {
      for (const c of [a, b]) {
        try {
          c.close();
        } catch { /* already closed */ }
        conns.delete(c);
      }
      n++;
    }
    return n;
  };
  return {
    port: (listener.addr as Deno.NetAddr).port,
    reset: cut,
    close() {
      listener.close();
      cut();
    },
  };
}
