/** Free loopback TCP ports for sandbox servers. */

// Ports are picked below Linux's ephemeral range (32768–60999) so an outgoing connection
// can never grab one between the check here and the server binding it.
const LOW = 20000;
const HIGH = 32767;

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago. Another process
 * may still take one before the server binds it; callers retry on "address already in use".
 */
export function freePorts(count: number): number[] {
  const listeners: Deno.Listener[] = [];
  try {
    while (listeners.length < count) {
      const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
      try {
        listeners.push(Deno.listen({ hostname: "127.0.0.1", port }));
      } catch (e) {
        if (!(e instanceof Deno.errors.AddrInUse)) throw e;
      }
    }
    return listeners.map((l) => (l.addr as Deno.NetAddr).port);
  } finally {
    for (const l of listeners) l.close();
  }
}
