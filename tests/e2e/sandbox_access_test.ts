/**
 * The sandbox's printed commands, pasted into bash as a person would (with the
 * project-built kubectl on PATH): get, apply and watch on every cluster through its
 * parent's proxy, and two hops (workload through bootstrap via mgmt). No Deno warning at
 * any time; then Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops
 * everything in order (leaves first), exits 0 and prints no WARN line and no stack trace.
 */
import assert from "node:assert/strict";
import { resolveBinaries } from "../../lib/sandbox/binaries.ts";

const main = new URL("../../main.ts", import.meta.url).pathname;

/** Splits a text stream into lines. */
function lineStream(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream<string, string>({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) controller.enqueue(p);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

async function bash(line: string, path: string, stdin?: string) {
  const child = new Deno.Command("bash", {
    args: ["-c", line],
    env: { PATH: path },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("pasted sandbox commands reach every cluster through the proxy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-sandbox-access-" });
  const kubectlDir = (await resolveBinaries()).kubectl.replace(/\/kubectl$/, "");
  const path = `${kubectlDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "sandbox", "up", "--no-gitops", "--timeout", "600"],
    env: { LATTICE_SANDBOX_DIR: dir, PATH: path },
    // Its own process group, so the test can send Ctrl-C's SIGINT to the whole group.
    detached: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const errors: string[] = [];
  const errDone = (async () => {
    for await (
      const l of child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(
        lineStream(),
      )
    ) errors.push(l);
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .pipeThrough(lineStream()).getReader();
  let outDone: Promise<void> | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`sandbox ended early:\n${lines.join("\n")}\n${errors.join("\n")}`);
      lines.push(value);
      if (value.startsWith("Sandbox running")) break;
    }
    const pasted = lines.filter((l) => /kubectl --kubeconfig \S+\.via-\S+\.yaml get nodes$/.test(l))
      .map((l) => l.trim());
    const targets = pasted.map((l) => /kubeconfigs\/([a-z0-9-]+)\.via-([a-z0-9-]+)\.yaml/.exec(l)!);
    assert.deepEqual(
      targets.map((m) => `${m[1]}<-${m[2]}`).sort(),
      ["mgmt<-bootstrap", "workload<-bootstrap", "workload<-mgmt"],
      lines.join("\n"),
    );
    for (const line of pasted) {
      const got = await bash(line, path);
      assert.equal(got.code, 0, `${line}\n${got.stderr}`);
      assert.match(got.stdout, /NAME\s+STATUS/, line);
      const cm = line.replace(/get nodes$/, "apply -f -");
      const name = `pasted-${/\.via-([a-z0-9-]+)\.yaml/.exec(line)![1]}`;
      const applied = await bash(
        cm,
        path,
        `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: default }\n` +
          "data: { from: sandbox }\n",
      );
      assert.equal(applied.code, 0, `${cm}\n${applied.stderr}`);
      assert.match(applied.stdout, new RegExp(`configmap/${name} (created|unchanged)`));
      // A watch through the proxy sees a change made while it runs.
      const watchLine = line.replace(
        /get nodes$/,
        `get configmaps --watch --output name --request-timeout 30s`,
      );
      const watch = new Deno.Command("bash", {
        args: ["-c", `timeout 25 ${watchLine}`],
        env: { PATH: path },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await new Promise((r) => setTimeout(r, 3000));
      const label = line.replace(/get nodes$/, `label configmap ${name} seen=yes --overwrite`);
      assert.equal((await bash(label, path)).code, 0, label);
      await new Promise((r) => setTimeout(r, 3000));
      try {
        watch.kill("SIGTERM");
      } catch { /* ended */ }
      const watched = new TextDecoder().decode((await watch.output()).stdout);
      const seen = watched.split("\n").filter((l) => l === `configmap/${name}`).length;
      assert.ok(seen >= 2, `the watch saw the list and the change:\n${watched}`);
    }
    const errorsBefore = errors.length;
    // A terminal's Ctrl-C signals the foreground process group, not only the sandbox.
    Deno.kill(-child.pid, "SIGINT");
    outDone = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        lines.push(value);
      }
    })();
    const status = await child.status;
    await outDone;
    await errDone;
    assert.equal(status.code, 0);
    const stopping = lines.findIndex((l) => l.startsWith("Stopping the sandbox"));
    assert.ok(stopping >= 0);
    const after = [...lines.slice(stopping), ...errors.slice(errorsBefore)];
    // Work cut by the shutdown is no failure: no WARN (or ERROR) line, no Deno warning, no
    // stack trace (`    at ...` lines, an error printed raw).
    assert.deepEqual(
      after.filter((l) =>
        /WARN|ERROR|"level":"(warn|error)"|Warning|warning|Uncaught|^\s+at |^\w*Error: /.test(l)
      ),
      [],
      after.join("\n"),
    );
    assert.match(lines.at(-1) ?? "", /Sandbox stopped\./);
    assert.deepEqual(errors.filter((l) => /^Deno\.|legacy behavior|^Warning/.test(l)), []);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
