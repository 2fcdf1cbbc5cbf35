import assert from "node:assert/strict";
import { stringify } from "yaml";
import { gunzip, hasPath, untar, workloadsIn } from "../../lib/controllers/placement/mod.ts";
import { daemonManifests, serviceManifests } from "../../lib/sandbox/service_repo.ts";

/** A ustar archive (with an optional PAX path record per file), as Go's archive/tar writes. */
function tar(files: Record<string, string>, pax = false): Uint8Array {
  const blocks: Uint8Array[] = [];
  const header = (name: string, size: number, type: string) => {
    const h = new Uint8Array(512);
    h.set(new TextEncoder().encode(name.slice(0, 99)), 0);
    h.set(new TextEncoder().encode(size.toString(8).padStart(11, "0")), 124);
    h[156] = type.charCodeAt(0);
    return h;
  };
  const pad = (data: Uint8Array) => {
    const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
    out.set(data);
    return out;
  };
  for (const [name, text] of Object.entries(files)) {
    const data = new TextEncoder().encode(text);
    if (pax) {
      const rec = `path=${name}\n`;
      const line = new TextEncoder().encode(`${rec.length + 3} ${rec}`);
      blocks.push(header("PaxHeaders/x", line.length, "x"), pad(line));
      blocks.push(header("ignored-short-name", data.length, "0"), pad(data));
    } else {
      blocks.push(header(name, data.length, "0"), pad(data));
    }
  }
  blocks.push(header("dir/", 0, "5"));
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

function repoFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [f, t] of Object.entries(serviceManifests("payments", "v1"))) files[`deploy/${f}`] = t;
  for (const [f, t] of Object.entries(daemonManifests("agent"))) files[`daemon/${f}`] = t;
  files["deploy/notes.txt"] = "not yaml";
  files["deploy/broken.yaml"] = "a: [";
  files["deploy/extra.yaml"] = stringify({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db" },
    spec: { template: { spec: { containers: [{ name: "pg" }, {}] } } },
  }) +
    "---\n" + stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }) + "---\nnull\n";
  return files;
}

Deno.test("untar reads ustar and PAX names; workloads are found under the path only", () => {
  for (const pax of [false, true]) {
    const files = untar(tar(repoFiles(), pax));
    assert.equal(files.length, Object.keys(repoFiles()).length);
    assert.deepEqual(workloadsIn(files, "./deploy"), [
      { kind: "Deployment", name: "payments", containers: ["app"] },
      { kind: "StatefulSet", name: "db", containers: ["pg"] },
    ]);
    assert.deepEqual(workloadsIn(files, "daemon/"), [{
      kind: "DaemonSet",
      name: "agent",
      containers: ["agent"],
    }]);
    assert.equal(workloadsIn(files, "./").length, 3);
    assert.ok(hasPath(files, "./deploy"));
    assert.ok(!hasPath(files, "./nowhere"));
    assert.ok(hasPath(files, "./"));
  }
});

Deno.test("gunzip is bounded", async () => {
  const data = new TextEncoder().encode("x".repeat(10_000));
  const gz = new Uint8Array(
    await new Response(new Blob([data]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  assert.equal((await gunzip(gz)).length, 10_000);
  await assert.rejects(() => gunzip(gz, 1_000), /larger than 1000/);
});
