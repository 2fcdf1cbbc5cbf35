/**
 * What `clusterctl init` leaves behind on a plane whose Cluster API CRDs were installed
 * from the upstream base files (the sandbox runs no provider controllers):
 *
 * - every provider CRD labelled `clusterctl.cluster.x-k8s.io` and
 *   `cluster.x-k8s.io/provider=<provider>` (clusterctl's common labels; `clusterctl move`
 *   discovers the types to move by the first, Lattice's pivot by the second) and with its
 *   contract labels (`cluster.x-k8s.io/v1beta2=<version>`, from each provider's kustomize
 *   config, which the bare upstream CRD files lack);
 * - clusterctl's own inventory CRD labelled `clusterctl.cluster.x-k8s.io/core=inventory`;
 * - the inventory: one `Provider` (clusterctl.cluster.x-k8s.io/v1alpha3) per installed
 *   provider, in the namespace `clusterctl init` installs it to (capi-system,
 *   capi-kubeadm-bootstrap-system, ..., capd-system), named by its manifest label.
 *
 * The simulated clusterctl used by the capi-init tests is a different thing (a shell
 * script, see tests/install/capi_init_test.ts); the real clusterctl binary is built by
 * scripts/install_clusterctl.sh and found by {@linkcode resolveClusterctl}.
 */
import type { KubeObject } from "../kube/mod.ts";
import { isAlreadyExists, KubeClient } from "../kube/mod.ts";

/** The provider label clusterctl puts on CRDs. */
export const PROVIDER_LABEL = "cluster.x-k8s.io/provider";
/** The label clusterctl puts on everything it installs (`clusterctl move` lists CRDs by it). */
export const CLUSTERCTL_LABEL = "clusterctl.cluster.x-k8s.io";
/** The label on clusterctl's own inventory objects. */
export const CLUSTERCTL_CORE_LABEL = "clusterctl.cluster.x-k8s.io/core";
/** The Cluster API version the sandbox plays (and the inventory reports). */
export const CAPI_VERSION = "v1.14.0";

/** One installed provider as clusterctl's inventory names it. */
export interface InventoryProvider {
  /** Manifest label, e.g. `infrastructure-docker`; also the Provider object's name. */
  label: string;
  /** clusterctl's provider name, e.g. `docker`. */
  providerName: string;
  type: "CoreProvider" | "BootstrapProvider" | "ControlPlaneProvider" | "InfrastructureProvider";
  /** Namespace `clusterctl init` installs it to. */
  namespace: string;
}

const INFRA_PREFIXES: [RegExp, string, string][] = [
  [/^(Docker|Dev)/, "docker", "capd-system"],
  [/^AWS/, "aws", "capa-system"],
  [/^Azure/, "azure", "capz-system"],
  [/^GCP/, "gcp", "capg-system"],
  [/^OpenStack/, "openstack", "capo-system"],
  [/^Proxmox/, "proxmox", "capmox-system"],
];

/** The provider owning a CRD (group + kind), or undefined for non-provider groups. */
export function providerOf(group: string, kind = ""): InventoryProvider | undefined {
  if (!group.endsWith("cluster.x-k8s.io")) return undefined;
  const prefix = group.slice(0, -"cluster.x-k8s.io".length).replace(/\.$/, "");
  if (prefix === "clusterctl") return undefined;
  const rke2 = kind.startsWith("RKE2");
  if (prefix === "bootstrap") {
    return rke2
      ? p("bootstrap-rke2", "rke2", "BootstrapProvider", "rke2-bootstrap-system")
      : p("bootstrap-kubeadm", "kubeadm", "BootstrapProvider", "capi-kubeadm-bootstrap-system");
  }
  if (prefix === "controlplane") {
    return rke2
      ? p("control-plane-rke2", "rke2", "ControlPlaneProvider", "rke2-control-plane-system")
      : p(
        "control-plane-kubeadm",
        "kubeadm",
        "ControlPlaneProvider",
        "capi-kubeadm-control-plane-system",
      );
  }
  if (prefix === "infrastructure") {
    const [, name, namespace] = INFRA_PREFIXES.find(([re]) => re.test(kind)) ??
      INFRA_PREFIXES[0];
    return p(`infrastructure-${name}`, name, "InfrastructureProvider", namespace);
  }
  return p("cluster-api", "cluster-api", "CoreProvider", "capi-system");
}

function p(
  label: string,
  providerName: string,
  type: InventoryProvider["type"],
  namespace: string,
): InventoryProvider {
  return { label, providerName, type, namespace };
}

/** The clusterctl provider label of a CRD group (kubeadm and Docker for their groups). */
export function providerOfGroup(group: string): string | undefined {
  return providerOf(group)?.label;
}

interface Crd extends KubeObject {
  spec: {
    group?: string;
    names?: { kind?: string };
    versions?: { name: string; served?: boolean; storage?: boolean }[];
  };
}

/**
 * The contract labels a provider's CRD carries (`cluster.x-k8s.io/<contract>: <versions>`,
 * versions joined by `_`), by which Cluster API and clusterctl pick the API version of a
 * referenced kind. The simulator's providers implement contract v1beta2 with their storage
 * version; a served v1beta1 also answers contract v1beta1.
 */
export function contractLabels(crd: Crd): Record<string, string> {
  const versions = crd.spec.versions ?? [];
  const storage = versions.find((v) => v.storage)?.name;
  const labels: Record<string, string> = {};
  if (storage) labels["cluster.x-k8s.io/v1beta2"] = storage;
  if (versions.some((v) => v.name === "v1beta1" && v.served !== false)) {
    labels["cluster.x-k8s.io/v1beta1"] = "v1beta1";
  }
  return labels;
}

/**
 * Labels every Cluster API CRD on the plane as clusterctl init does and writes the
 * provider inventory when clusterctl's Provider CRD is installed. Returns how many CRDs it
 * labelled.
 */
export async function labelProviderCrds(kubeconfig: string): Promise<number> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const ref = await client.resourceFor("apiextensions.k8s.io/v1", "CustomResourceDefinition");
    const crds = (await client.list<Crd>(ref)).items;
    const providers = new Map<string, InventoryProvider>();
    let labelled = 0;
    let inventoryCrd = false;
    for (const crd of crds) {
      const group = crd.spec.group ?? "";
      const labels = crd.metadata?.labels ?? {};
      let wanted: Record<string, string> | undefined;
      if (group === "clusterctl.cluster.x-k8s.io") {
        inventoryCrd ||= crd.spec.names?.kind === "Provider";
        wanted = { [CLUSTERCTL_LABEL]: "", [CLUSTERCTL_CORE_LABEL]: "inventory" };
      } else {
        const provider = providerOf(group, crd.spec.names?.kind);
        if (!provider) continue;
        providers.set(provider.label, provider);
        wanted = {
          ...contractLabels(crd),
          [CLUSTERCTL_LABEL]: "",
          [PROVIDER_LABEL]: provider.label,
        };
      }
      if (Object.entries(wanted).every(([k, v]) => labels[k] === v)) continue;
      await client.patch(ref, crd.metadata?.name ?? "", { metadata: { labels: wanted } });
      labelled++;
    }
    if (inventoryCrd) await writeInventory(client, [...providers.values()]);
    return labelled;
  } finally {
    client.close();
  }
}

/** Creates the providers' namespaces and their inventory `Provider` objects (idempotent). */
export async function writeInventory(
  client: KubeClient,
  providers: readonly InventoryProvider[],
): Promise<void> {
  const create = async (object: KubeObject) => {
    try {
      await client.create(object);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  };
  for (const provider of providers) {
    const labels = { [CLUSTERCTL_LABEL]: "", [PROVIDER_LABEL]: provider.label };
    await create({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: provider.namespace, labels },
    });
    await create({
      apiVersion: "clusterctl.cluster.x-k8s.io/v1alpha3",
      kind: "Provider",
      metadata: {
        name: provider.label,
        namespace: provider.namespace,
        labels: { ...labels, [CLUSTERCTL_CORE_LABEL]: "inventory" },
      },
      providerName: provider.providerName,
      type: provider.type,
      version: CAPI_VERSION,
    } as KubeObject);
  }
}

/**
 * The real clusterctl built by scripts/install_clusterctl.sh (LATTICE_CLUSTERCTL wins), or
 * undefined when it was not built.
 */
export async function resolveClusterctl(): Promise<string | undefined> {
  const explicit = Deno.env.get("LATTICE_CLUSTERCTL");
  const candidates = [
    ...(explicit ? [explicit] : []),
    `${
      Deno.env.get("LATTICE_CACHE") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/lattice`
    }/bin/clusterctl-${CAPI_VERSION}-r1/clusterctl`,
  ];
  for (const path of candidates) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not there
    }
  }
  return undefined;
}
