/**
 * Shared by the pivot integration test and bench: two real control planes with the real
 * Cluster API CRDs, fixtures created in them, and snapshots for object-by-object fidelity.
 */
import { KubeClient } from "../../lib/kube/client.ts";
import { isAlreadyExists } from "../../lib/kube/errors.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { discoverMoveTypes, LATTICE_CLUSTER_REF, PROVIDER_LABEL } from "../../lib/pivot/mod.ts";
import {
  CLUSTER_API_CRD_SETS,
  type ControlPlane,
  installCrds,
  startControlPlane,
} from "../../lib/sandbox/mod.ts";
import { validClusterDocument } from "../api/fixtures.ts";
import type { FixtureObject } from "./fixtures.ts";

/** A parent (cell) and a child plane with clients. */
export interface PivotPlanes {
  parent: ControlPlane;
  child: ControlPlane;
  source: KubeClient;
  target: KubeClient;
  stop(): Promise<void>;
}

/**
 * Labels the Cluster API CRDs with cluster.x-k8s.io/provider as clusterctl init does (the
 * upstream base CRDs come without it).
 */
export async function labelProviderCrds(client: KubeClient): Promise<void> {
  const ref = await client.resourceFor("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  const crds = await client.list<KubeObject & { spec: { group: string } }>(ref);
  await Promise.all(
    crds.items
      .filter((c) =>
        c.spec.group.endsWith("cluster.x-k8s.io") && !c.spec.group.startsWith("clusterctl")
      )
      .map((c) =>
        client.patch(ref, c.metadata!.name!, {
          metadata: { labels: { [PROVIDER_LABEL]: c.spec.group.split(".")[0] } },
        })
      ),
  );
  // Updating a CRD re-creates its storage: lists answer 503 for a moment. Wait it out.
  for (const type of await discoverMoveTypes(client)) {
    for (let attempt = 0;; attempt++) {
      try {
        await client.list(type.ref, { limit: 1 });
        break;
      } catch (error) {
        if (attempt >= 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** Starts both planes with CRDs installed and labelled; stop() always cleans up. */
export async function startPivotPlanes(): Promise<PivotPlanes> {
  const planes: ControlPlane[] = [];
  const clients: KubeClient[] = [];
  const stop = async () => {
    for (const c of clients) c.close();
    await Promise.all(planes.map((p) => p.stop()));
  };
  try {
    const [parent, child] = await Promise.all([
      startControlPlane({ name: "pivot-parent" }).then((p) => (planes.push(p), p)),
      startControlPlane({ name: "pivot-child" }).then((p) => (planes.push(p), p)),
    ]);
    await Promise.all([
      installCrds(parent, { lattice: true, upstream: [...CLUSTER_API_CRD_SETS] }),
      installCrds(child, { upstream: [...CLUSTER_API_CRD_SETS] }),
    ]);
    const source = KubeClient.fromKubeconfig(parent.kubeconfig);
    clients.push(source);
    const target = KubeClient.fromKubeconfig(child.kubeconfig);
    clients.push(target);
    await Promise.all([labelProviderCrds(source), labelProviderCrds(target)]);
    return { parent, child, source, target, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Creates a LatticeCluster named `name` on the parent (where pivot progress is kept). */
export async function createLatticeCluster(client: KubeClient, name: string): Promise<void> {
  const doc = validClusterDocument();
  await client.create({ ...doc, metadata: { name } } as KubeObject);
}

/**
 * Creates a fixture, owners first, resolving owner keys to real UIDs and writing status
 * through the status subresource. Objects of one depth are created concurrently.
 */
export async function createFixture(
  client: KubeClient,
  namespace: string,
  fixture: readonly FixtureObject[],
): Promise<void> {
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } })
    .catch((e) => {
      if (!isAlreadyExists(e)) throw e;
    });
  const byKey = new Map(fixture.map((f) => [f.key, f]));
  const uids = new Map<string, string>();
  const depth = new Map<string, number>();
  const depthOf = (f: FixtureObject): number => {
    if (!depth.has(f.key)) {
      depth.set(
        f.key,
        1 + Math.max(-1, ...f.owners.map((o) => depthOf(byKey.get(o.key)!))),
      );
    }
    return depth.get(f.key)!;
  };
  const waves: FixtureObject[][] = [];
  for (const f of fixture) (waves[depthOf(f)] ??= []).push(f);
  for (const wave of waves) {
    for (let i = 0; i < wave.length; i += 16) {
      await Promise.all(
        wave.slice(i, i + 16).map(async (f) => {
          const obj = structuredClone(f.object);
          obj.metadata = { ...obj.metadata, namespace };
          if (f.owners.length) {
            obj.metadata.ownerReferences = f.owners.map((o) => {
              const owner = byKey.get(o.key)!.object;
              return {
                apiVersion: owner.apiVersion!,
                kind: owner.kind!,
                name: owner.metadata!.name!,
                uid: uids.get(o.key)!,
                ...(o.controller ? { controller: true, blockOwnerDeletion: true } : {}),
              };
            });
          }
          const created = await client.create(obj);
          uids.set(f.key, created.metadata!.uid!);
          if (f.object.status !== undefined && created.status === undefined) {
            const ref = await client.resourceFor(obj.apiVersion!, obj.kind!);
            await client.patchStatus(ref, obj.metadata.name!, namespace, {
              status: f.object.status,
            });
          }
        }),
      );
    }
  }
}

/**
 * Every movable object of `namespace`, keyed `Kind/name`, without server-set fields and
 * with ownerReferences' UIDs replaced by the key of the object holding that UID in the same
 * snapshot (`?` when none does): equal snapshots mean equal objects AND correct owner links.
 */
export async function snapshot(
  client: KubeClient,
  namespace: string,
): Promise<Record<string, KubeObject>> {
  const types = await discoverMoveTypes(client);
  const objects: KubeObject[] = [];
  for (const type of types) {
    const list = await client.list<KubeObject>(type.ref, { namespace });
    for (const item of list.items) {
      objects.push({
        ...item,
        apiVersion: type.ref.group ? `${type.ref.group}/${type.ref.version}` : "v1",
        kind: type.kind,
      });
    }
  }
  const keyByUid = new Map(objects.map((o) => [o.metadata!.uid!, `${o.kind}/${o.metadata!.name}`]));
  const out: Record<string, KubeObject> = {};
  for (const o of objects) {
    const copy = structuredClone(o);
    const meta = copy.metadata!;
    for (
      const f of ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"]
    ) delete meta[f];
    for (const r of meta.ownerReferences ?? []) r.uid = keyByUid.get(r.uid) ?? "?";
    out[`${o.kind}/${meta.name}`] = copy;
  }
  return out;
}

/** The LatticeCluster's status.pivot and conditions on the parent. */
export async function latticeStatus(
  client: KubeClient,
  name: string,
): Promise<Record<string, unknown>> {
  const obj = await client.get<KubeObject>(LATTICE_CLUSTER_REF, name);
  return (obj.status ?? {}) as Record<string, unknown>;
}
