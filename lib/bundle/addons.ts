/**
 * What a new cluster needs before the pivot and Lattice's own operator do not install:
 *
 * - a CNI, carried by the parent cell in the ConfigMap `lattice-system/lattice-cni`
 *   (key `manifests.yaml`, multi-document YAML, e.g. `helm template cilium ...` or Calico's
 *   manifest). The join applies it, and the bundle copies the ConfigMap so a child that is a
 *   cell hands it on;
 * - Cluster API's controllers for the cluster's own providers, installed by a one-shot Job
 *   (`lattice capi-init`, which runs `clusterctl init`) under its own ServiceAccount bound to
 *   cluster-admin; the Job deletes that binding when it is done, so the long-running operator
 *   keeps its least-privilege role (docs/adr/install-bootstrap.md).
 */
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../kube/types.ts";
import { commonLabels, DEFAULT_IMAGE, NAMESPACE } from "./names.ts";

/** The cell's CNI ConfigMap and its key. */
export const CNI_CONFIGMAP = { name: "lattice-cni", key: "manifests.yaml" } as const;
/** Name of the Cluster API install Job, its ServiceAccount and ClusterRoleBinding. */
export const CAPI_INIT_NAME = "lattice-capi-init";

/** The objects of a CNI manifest; errors name the document and what is missing. */
export function cniObjects(manifests: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(manifests).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      throw new Error(`Cannot read ${source} (document ${i + 1}): ${doc.errors[0].message}`);
    }
    const value = doc.toJS() as KubeObject | null;
    if (value === null || value === undefined) return;
    if (typeof value !== "object" || !value.apiVersion || !value.kind || !value.metadata?.name) {
      throw new Error(
        `Cannot read ${source} (document ${i + 1}): a Kubernetes object needs apiVersion, ` +
          `kind and metadata.name`,
      );
    }
    objects.push(value);
  });
  return objects;
}

/** The ConfigMap carrying the CNI manifests on to the child (for its own children). */
export function cniConfigMap(manifests: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: CNI_CONFIGMAP.name, namespace: NAMESPACE, labels: commonLabels("cni") },
    data: { [CNI_CONFIGMAP.key]: manifests },
  };
}

/** ServiceAccount, cluster-admin binding and Job that install Cluster API on `cluster`. */
export function capiInitObjects(cluster: string, image = DEFAULT_IMAGE): KubeObject[] {
  const labels = commonLabels("capi-init");
  const meta = { name: CAPI_INIT_NAME, namespace: NAMESPACE, labels };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: CAPI_INIT_NAME, labels },
      // clusterctl init creates CRDs, webhooks and ClusterRoles of any content: only
      // cluster-admin may. The Job deletes this binding once Cluster API is installed.
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "cluster-admin",
      },
      subjects: [{ kind: "ServiceAccount", name: CAPI_INIT_NAME, namespace: NAMESPACE }],
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: meta,
      spec: {
        // clusterctl waits for the providers; pods wait for the CNI: retry for a while.
        backoffLimit: 10,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 86400,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: CAPI_INIT_NAME,
            restartPolicy: "OnFailure",
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [{
              name: "capi-init",
              image,
              args: ["capi-init"],
              env: [
                { name: "LATTICE_CLUSTER_NAME", value: cluster },
                // clusterctl keeps its configuration and cache under $HOME.
                { name: "HOME", value: "/tmp" },
              ],
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "512Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            }],
            volumes: [{ name: "tmp", emptyDir: {} }],
          },
        },
      },
    },
  ];
}
