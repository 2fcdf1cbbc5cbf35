/** Helpers of the port-forward tests and benchmark: an echo server, kubectl port-forward. */
import type { KubeClient } from "../../lib/kube/mod.ts";

/** A loopback TCP server that echoes every byte and half-closes when the client does. */
export function echoServer(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buffer = new Uint8Array(64 << 10);
        try {
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) break;
            for (let at = 0; at < n;) at += await conn.write(buffer.subarray(at, n));
          }
          await conn.closeWrite();
        } catch { /* reset */ }
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

/** A pod scheduled on the simulated node `sim-node-1`. */
export async function podOn(client: KubeClient, namespace: string, name: string): Promise<void> {
  await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  await client.apply({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { nodeName: "sim-node-1", containers: [{ name: "main", image: "sandbox/simulated" }] },
  });
  // What the simulated kubelet would post: the pod runs (port-forward requires it).
  const ref = await client.resourceFor("v1", "Pod");
  await client.patchStatus(ref, name, namespace, {
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: [{
        name: "main",
        image: "sandbox/simulated",
        imageID: "",
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z") } },
      }],
    },
  });
}

/** Lets `user` exec, attach, read logs and port-forward in `namespace`. */
export async function grantStreaming(client: KubeClient, namespace: string, user: string) {
  await client.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "pod-streams", namespace },
    rules: [{
      apiGroups: [""],
      resources: ["pods", "pods/exec", "pods/attach", "pods/log", "pods/portforward"],
      verbs: ["get", "list", "create"],
    }],
  });
  await client.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: `pod-streams-${user.replaceAll(":", "-")}`, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-streams" },
    subjects: [{ kind: "User", name: user }],
  });
}

/** Runs `kubectl port-forward` and resolves with its local port once it listens. */
export async function portForward(
  kubectl: string,
  kubeconfig: string,
  namespace: string,
  pod: string,
  podPort: number,
): Promise<{ port: number; errors(): string; stop(): Promise<void> }> {
  const child = new Deno.Command(kubectl, {
    args: ["--kubeconfig", kubeconfig, "-n", namespace, "port-forward", pod, `:${podPort}`],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  while (!/Forwarding from 127\.0\.0\.1:(\d+)/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) {
      const err = await new Response(child.stderr).text();
      throw new Error(`kubectl port-forward ended: ${seen} ${err}`);
    }
    seen += value;
  }
  clearTimeout(timer);
  const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(seen)![1]);
  // Keep draining its output.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  let errors = "";
  child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (text) => void (errors += text) }),
  ).catch(() => {});
  return {
    port,
    errors: () => errors,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
    },
  };
}

/**
 * Sends `bytes` of random data through `port` while reading the echo back; resolves with
 * the SHA-256 of both sides and the time taken.
 */
export async function roundTrip(
  port: number,
  bytes: number,
): Promise<{ sentHash: string; receivedHash: string; received: number; ms: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const started = performance.now();
  const block = crypto.getRandomValues(new Uint8Array(64 << 10));
  const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16)).join("");
  // The hash of the bytes sent: `bytes` of the repeated block, with a counter in each.
  const sent: Uint8Array[] = [];
  const writing = (async () => {
    for (let at = 0, i = 0; at < bytes; i++) {
      const n = Math.min(block.length, bytes - at);
      const chunk = block.slice(0, n);
      new DataView(chunk.buffer).setUint32(0, i);
      sent.push(chunk);
      for (let w = 0; w < n;) w += await conn.write(chunk.subarray(w));
      at += n;
    }
    await conn.closeWrite();
  })();
  writing.catch(() => {});
  const parts: Uint8Array[] = [];
  let received = 0;
  const buffer = new Uint8Array(256 << 10);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    parts.push(buffer.slice(0, n));
    received += n;
    if (received >= bytes) break;
  }
  await writing;
  conn.close();
  const ms = performance.now() - started;
  const join = (list: Uint8Array[], size: number) => {
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of list) {
      out.set(p.subarray(0, Math.min(p.length, size - at)), at);
      at += p.length;
      if (at >= size) break;
    }
    return out;
  };
  const sentHash = hex(await crypto.subtle.digest("SHA-256", join(sent, bytes)));
  const receivedHash = hex(await crypto.subtle.digest("SHA-256", join(parts, received)));
  return { sentHash, receivedHash, received, ms };
}
