/** Judging a mesh's policies: the evaluator's verdicts against the oracle's. */
import type { KubeObject } from "../../../lib/kube/mod.ts";
import { allows } from "./_evaluator.ts";
import { oracle, podOf, type RandomMesh } from "./_mesh.ts";

/** Compares the evaluator's verdicts with the oracle's over every ordered pair. */
export function judge(
  mesh: RandomMesh,
  policies: readonly KubeObject[],
  deployments: KubeObject[],
) {
  const pods = new Map(
    deployments.map((d) => [`${d.metadata?.namespace}/${d.metadata?.name}`, podOf(d)]),
  );
  let pairs = 0, agreed = 0, checks = 0;
  const wrong: string[] = [];
  for (const caller of mesh.services) {
    for (const callee of mesh.services) {
      if (caller === callee) continue;
      pairs++;
      const src = pods.get(`${caller.metadata.namespace}/${caller.metadata.name}`)!;
      const dst = pods.get(`${callee.metadata.namespace}/${callee.metadata.name}`)!;
      const ports = Object.entries(callee.spec.service?.ports ?? {});
      let any = false;
      for (const [name, p] of [...ports, [undefined, { port: 65000 }] as const]) {
        const port = p.targetPort ?? p.port;
        const protocol = p.protocol ?? "TCP";
        const expected = oracle(caller, callee, name, mesh.environments);
        const got = allows(policies, src, dst, port, protocol);
        checks++;
        any ||= expected;
        if (got !== expected) {
          wrong.push(
            `${caller.metadata.namespace}/${caller.metadata.name} → ` +
              `${callee.metadata.namespace}/${callee.metadata.name}:${port}/${protocol} ` +
              `expected ${expected ? "allowed" : "denied"}`,
          );
        }
      }
      if (any) agreed++;
    }
  }
  return { pairs, agreed, checks, wrong };
}
