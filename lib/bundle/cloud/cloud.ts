/**
 * The cloud controller manager and CSI driver a self-managed cloud cluster needs in its
 * child bundle. Nodes of aws, openstack, gcp and azure clusters start with
 * `cloud-provider=external` (lib/capi/providers): until a cloud controller manager runs they
 * keep the `node.cloudprovider.kubernetes.io/uninitialized` taint and no provider ID, so
 * the cluster cannot manage its own machines after the pivot.
 *
 * Objects are the vendored upstream manifests (third_party/cloud, embedded by
 * `deno task generate` in _vendored.ts), changed only where a cluster needs it: image tags
 * pinned to the cluster's Kubernetes minor (versions.ts), the namespace a kustomize base
 * would set, the GCE controller's pod CIDR, and a `lattice.dev/cloud-addon` label.
 */
import { parseAllDocuments } from "yaml";
import type { LatticeClusterSpec } from "../../api/mod.ts";
import type { KubeObject } from "../../kube/types.ts";
import { VENDORED_CLOUD } from "./_vendored.ts";
import {
  CCM_IMAGES,
  CCM_TAGS,
  CLOUD_SETS_OF,
  type CloudProvider,
  GCP_PD_IMAGE_FILE,
  GCP_PD_NAMESPACE,
} from "./versions.ts";

/** Label on every cloud add-on object: `ccm` or `csi`. */
export const CLOUD_ADDON_LABEL = "lattice.dev/cloud-addon";
/** The Secret the OpenStack controller manager and Cinder CSI plugin read (`cloud.conf`). */
export const OPENSTACK_CLOUD_CONFIG = { name: "cloud-config", namespace: "kube-system" } as const;
/** Pod network when `spec.networking.pods` is omitted (as lib/capi). */
const DEFAULT_PODS = "192.168.0.0/16";

/** Options of {@linkcode cloudAddonObjects}. */
export interface CloudAddonOptions {
  /**
   * OpenStack: the `cloud.conf` text for Secret kube-system/cloud-config (see
   * lib/providers/openstack_conf.ts); without it the Secret is not in the bundle and the
   * controller waits for it.
   */
  openstackCloudConf?: string;
}

/** The provider of `spec` that runs a cloud controller manager, if any. */
export function cloudProviderOf(spec: LatticeClusterSpec): CloudProvider | undefined {
  const config = spec.provider.config as Record<string, unknown>;
  return (["aws", "openstack", "gcp", "azure"] as const).find((p) => config[p] !== undefined);
}

/** The Kubernetes minor of `version` (`1.36.3` → 36). */
export function kubernetesMinor(version: string): number {
  const minor = Number(/^1\.(\d+)\./.exec(version)?.[1]);
  if (!Number.isInteger(minor)) throw new Error(`Cannot read Kubernetes version ${version}`);
  return minor;
}

/** The image tag of `provider`'s cloud controller manager for Kubernetes `version`. */
export function ccmTag(provider: CloudProvider, version: string): string {
  const minor = kubernetesMinor(version);
  const tag = CCM_TAGS[provider][minor];
  if (!tag) {
    throw new Error(
      `No ${provider} cloud controller manager is pinned for Kubernetes 1.${minor} ` +
        `(lib/bundle/cloud/versions.ts pins 1.${Object.keys(CCM_TAGS[provider]).join(", 1.")})`,
    );
  }
  return tag;
}

function files(ref: string): [string, string][] {
  const [folder, file] = ref.split("/");
  const set = VENDORED_CLOUD[folder];
  if (!set) throw new Error(`third_party/cloud has no set ${folder} (run deno task generate)`);
  if (file === undefined) return Object.entries(set).sort(([a], [b]) => a.localeCompare(b));
  const text = set[file];
  if (text === undefined) throw new Error(`third_party/cloud/${folder} has no ${file}`);
  return [[ref, text]];
}

function objectsOf(ref: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [name, text] of files(ref)) {
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors[0].message}`);
      const value = doc.toJS() as KubeObject | null;
      if (!value || typeof value !== "object" || !value.kind) continue;
      // A `kind: List` document (OpenStack's RBAC files) stands for its items.
      if (value.kind === "List") out.push(...((value as { items?: KubeObject[] }).items ?? []));
      else out.push(value);
    }
  }
  return out;
}

/** Image repository → [new repository, new tag]. */
type ImageMap = Map<string, [string, string]>;

function gcpPdImages(): ImageMap {
  const map: ImageMap = new Map();
  for (const t of objectsOf(GCP_PD_IMAGE_FILE)) {
    const tag = (t as { imageTag?: { name: string; newName?: string; newTag: string } }).imageTag;
    if (tag) map.set(tag.name, [tag.newName ?? tag.name, tag.newTag]);
  }
  return map;
}

function repositoryOf(image: string): string {
  const slash = image.lastIndexOf("/");
  const colon = image.indexOf(":", slash);
  return colon < 0 ? image : image.slice(0, colon);
}

function rewriteImages(value: unknown, images: ImageMap): void {
  if (Array.isArray(value)) {
    for (const v of value) rewriteImages(v, images);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const record = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(record)) {
    if (key === "image" && typeof v === "string") {
      const pin = images.get(repositoryOf(v));
      if (pin) record[key] = `${pin[0]}:${pin[1]}`;
    } else {
      rewriteImages(v, images);
    }
  }
}

const CLUSTER_SCOPED = new Set([
  "ClusterRole",
  "ClusterRoleBinding",
  "CSIDriver",
  "StorageClass",
  "Namespace",
  "PriorityClass",
]);

function finish(
  objects: KubeObject[],
  role: "ccm" | "csi",
  images: ImageMap,
  namespace: string,
): KubeObject[] {
  return objects.map((o) => {
    rewriteImages(o, images);
    const metadata = { ...o.metadata };
    if (!CLUSTER_SCOPED.has(o.kind ?? "") && !metadata.namespace) metadata.namespace = namespace;
    metadata.labels = { ...metadata.labels, [CLOUD_ADDON_LABEL]: role };
    // As kustomize's namespace transformer: ServiceAccount subjects follow the namespace.
    const subjects = (o as { subjects?: { kind: string; namespace?: string }[] }).subjects;
    if (subjects) {
      return {
        ...o,
        metadata,
        subjects: subjects.map((s) =>
          s.kind === "ServiceAccount" && !s.namespace ? { ...s, namespace } : s
        ),
      } as KubeObject;
    }
    return { ...o, metadata };
  });
}

function gcpClusterCidr(objects: KubeObject[], pods: string): void {
  for (const o of objects) {
    const containers = (o as {
      spec?: { template?: { spec?: { containers?: { command?: string[] }[] } } };
    }).spec?.template?.spec?.containers ?? [];
    for (const c of containers) {
      c.command = c.command?.map((a) =>
        a.startsWith("--cluster-cidr=") ? `--cluster-cidr=${pods}` : a
      );
    }
  }
}

/** The cloud add-ons of a cluster of `spec`, in apply order (none for docker and proxmox). */
export function cloudAddonObjects(
  spec: LatticeClusterSpec,
  options: CloudAddonOptions = {},
): KubeObject[] {
  const provider = cloudProviderOf(spec);
  if (!provider) return [];
  const tag = ccmTag(provider, spec.provider.kubernetes.version);
  const ccmImages: ImageMap = new Map(CCM_IMAGES[provider].map((r) => [r, [r, tag]]));
  const ccm = finish(
    CLOUD_SETS_OF[provider].ccm.flatMap(objectsOf),
    "ccm",
    ccmImages,
    "kube-system",
  );
  if (provider === "gcp") gcpClusterCidr(ccm, spec.networking?.pods ?? DEFAULT_PODS);
  const out: KubeObject[] = [];
  if (provider === "openstack" && options.openstackCloudConf !== undefined) {
    out.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { ...OPENSTACK_CLOUD_CONFIG, labels: { [CLOUD_ADDON_LABEL]: "ccm" } },
      type: "Opaque",
      stringData: { "cloud.conf": options.openstackCloudConf },
    } as KubeObject);
  }
  out.push(...ccm);
  if ((spec.provider as { csi?: string }).csi === "none") return out;
  const csiNamespace = provider === "gcp" ? GCP_PD_NAMESPACE : "kube-system";
  if (provider === "gcp") {
    out.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: GCP_PD_NAMESPACE, labels: { [CLOUD_ADDON_LABEL]: "csi" } },
    });
  }
  const csiImages = provider === "gcp" ? gcpPdImages() : new Map();
  out.push(
    ...finish(CLOUD_SETS_OF[provider].csi.flatMap(objectsOf), "csi", csiImages, csiNamespace),
  );
  return out;
}
