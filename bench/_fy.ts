import { parseSimpleYaml } from "/work/main/lib/gitops/fast_yaml.ts";
import { parse } from "yaml";
import { CONFIG_YAML, clusterYaml, placementYaml, kustomization, registrationYaml } from "/work/main/tests/gitops/fixtures.ts";
const texts = [CONFIG_YAML, clusterYaml("a", {parent: "b", cell: true}), placementYaml("x", {tag: "v1", replicas: 3}), kustomization(["a", "b"]), kustomization([]), registrationYaml("a","https://x","./d","main"),
 "a:\n- x\n- y\nb: 1\n", "a: 'it''s'\nb: \"q\" # c\nc: 1.5\nd: 0x1F\n", "a:\n  b:\n    c: 1\n  d: 2\ne: 3\n", "a: foo\n  bar\n", "a: 1\na: 2\n", "a: [1]\n"];
for (const t of texts) {
  const f = parseSimpleYaml(t);
  let p; try { p = parse(t); } catch (e) { p = "ERR"; }
  console.log(JSON.stringify(f) === JSON.stringify(p) ? "same" : f === undefined ? "fallback" : "DIFF", JSON.stringify(f), JSON.stringify(p));
}
const t = clusterYaml("a", {parent: "b"});
let s = performance.now(); for (let i = 0; i < 10000; i++) parseSimpleYaml(t); console.log("fast x10k", performance.now() - s);
s = performance.now(); for (let i = 0; i < 10000; i++) parse(t); console.log("yaml x10k", performance.now() - s);
