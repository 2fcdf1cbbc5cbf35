/**
 * The sandbox's supervised servers (etcd, kube-apiserver, Flux controllers) live outside
 * the terminal's foreground process group: a Ctrl-C reaches Deno alone, which stops the
 * operators before the servers they talk to.
 */
import assert from "node:assert/strict";
import { startSupervised } from "../../lib/sandbox/_process.ts";

/** The process group of `pid`, from /proc (field 5 of stat, after the command's parens). */
async function processGroup(pid: number | "self"): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

Deno.test("a supervised server is out of Deno's process group and dies when killed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-process-" });
  const server = await startSupervised("sleep", ["sleep", "60"], `${dir}/sleep.log`);
  try {
    assert.ok(server.running());
    const own = await processGroup("self");
    const its = await processGroup(server.pid);
    assert.notEqual(its, own, "a terminal's SIGINT to Deno's group would reach the server");
    await server.kill(1_000);
    assert.equal(server.running(), false);
  } finally {
    await server.kill().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
