/**
 * The cluster Secrets of the SIMULATED control-plane provider: `<cluster>-ca`, `-etcd`,
 * `-sa`, `-proxy` (KubeadmControlPlane's certificates) and `<cluster>-kubeconfig`, of type
 * `cluster.x-k8s.io/secret`, labelled with the cluster name and controlled by the control
 * plane object, as KCP v1.14 writes them (a Cluster without a control plane gets its
 * kubeconfig owned by the Cluster). The kubeconfig is the real admin kubeconfig of the
 * cluster's sandbox plane; the certificate Secrets carry that plane's CA and service-account
 * key pair (the sandbox's etcd and front proxy use no certificates of their own).
 */
import type { KubeClient, KubeObject } from "../kube/mod.ts";
import { isAlreadyExists, isNotFound } from "../kube/mod.ts";
import type { ControlPlane } from "./control_plane.ts";
import { CLUSTER_LABEL, controllerRef } from "./capi_sim_objects.ts";

/** The purposes of the Secrets KCP creates, in the order it creates them. */
export const CLUSTER_SECRET_PURPOSES = ["ca", "etcd", "sa", "proxy", "kubeconfig"] as const;

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return fallback;
  }
}

/** Creates the missing cluster Secrets; existing ones are left as they are. */
export async function ensureClusterSecrets(
  client: KubeClient,
  capi: KubeObject,
  owner: KubeObject,
  plane: ControlPlane,
): Promise<void> {
  const cluster = capi.metadata?.name ?? "";
  const namespace = capi.metadata?.namespace;
  const ref = await client.resourceFor("v1", "Secret");
  const saKey = await readOr(`${plane.dir}/pki/sa.key`, "");
  const saPub = await readOr(`${plane.dir}/pki/sa.pub`, "");
  const data: Record<string, Record<string, string>> = {
    ca: { "tls.crt": plane.caCertPem },
    etcd: { "tls.crt": plane.caCertPem },
    sa: { "tls.crt": saPub, "tls.key": saKey },
    proxy: { "tls.crt": plane.caCertPem },
    kubeconfig: { value: plane.kubeconfig },
  };
  for (const purpose of CLUSTER_SECRET_PURPOSES) {
    const name = `${cluster}-${purpose}`;
    try {
      await client.get(ref, name, namespace);
      continue;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await client.create({
        apiVersion: "v1",
        kind: "Secret",
        type: "cluster.x-k8s.io/secret",
        metadata: {
          name,
          namespace,
          labels: { [CLUSTER_LABEL]: cluster },
          ownerReferences: [controllerRef(owner)],
        },
        stringData: data[purpose],
      });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }
}
