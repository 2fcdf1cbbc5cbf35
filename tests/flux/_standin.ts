/**
 * A stand-in for kubelet + the Deployment controller in Flux tests that run no Flux
 * binaries: it writes flux-system Deployments' status as available unless their image tag
 * is in `broken` (the sandbox's real-Flux kubelet is exercised by tests/e2e/gitops_test.ts).
 */
import { DEPLOYMENT_REF, type KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { FLUX_NAMESPACE, GIT_REPOSITORY_REF, KUSTOMIZATION_REF } from "../../lib/flux/mod.ts";

export function standInKubelet(client: KubeClient, broken: Set<string>) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const list = await client.list<
        KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }
      >(DEPLOYMENT_REF, { namespace: FLUX_NAMESPACE }).catch((
        e,
      ) => (console.error("list", e.message), { items: [] }));
      for (const d of list.items) {
        const image = d.spec.template.spec.containers[0].image;
        const ok = ![...broken].some((tag) => image.endsWith(`:${tag}`));
        await client.patchStatus(DEPLOYMENT_REF, d.metadata!.name!, FLUX_NAMESPACE, {
          status: {
            observedGeneration: d.metadata!.generation,
            replicas: 1,
            updatedReplicas: 1,
            readyReplicas: ok ? 1 : 0,
            availableReplicas: ok ? 1 : 0,
          },
        }).catch((e) => console.error("standin", e.message));
      }
      // Stand in for the controllers too: the sync objects report a first sync.
      for (const ref of [GIT_REPOSITORY_REF, KUSTOMIZATION_REF]) {
        const list = await client.list<KubeObject & { status?: { conditions?: unknown[] } }>(ref, {
          namespace: FLUX_NAMESPACE,
        }).catch(() => ({ items: [] }));
        for (const o of list.items) {
          // Only the live sync objects: a probe of a new source is left unfetched.
          if (o.status?.conditions?.length || o.metadata?.name?.endsWith("-probe")) continue;
          await client.patchStatus(ref, o.metadata!.name!, FLUX_NAMESPACE, {
            status: {
              observedGeneration: o.metadata!.generation,
              lastAppliedRevision: "main@sha1:0000000",
              conditions: [{
                type: "Ready",
                status: "True",
                reason: "ReconciliationSucceeded",
                message: "stand-in",
                lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
              }],
            },
          }).catch(() => {});
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { stop: async () => (stopped = true, await loop) };
}
