/**
 * What `lattice capi-init` hands clusterctl (lib/providers/components.ts): the parent's
 * provider components as a local repository, and the variables of this cluster's provider
 * read from the identities the pivot moved here (lib/providers/clusterctl_vars.ts). Nothing
 * comes from the network: a component the parent did not send is an error and the
 * condition `CapiComponents=False/ComponentsMissing` on the cluster's own LatticeCluster.
 */
import { API_VERSION, type LatticeClusterInput } from "../api/mod.ts";
import { NAMESPACE } from "../bundle/names.ts";
import { capiNamespace, infraProviderOf } from "../capi/mod.ts";
import { isNotFound, type KubeClient, type KubeObject } from "../kube/mod.ts";
import { CONFIGMAP_REF } from "../kube/refs.ts";
import {
  clusterctlVariables,
  COMPONENTS_LABEL,
  componentSetsOf,
  IdentityResources,
  missingComponents,
  resolveIdentities,
  type WantedComponent,
  writeLocalRepository,
} from "../providers/mod.ts";
import type { ClusterctlProvider } from "./clusterctl.ts";

/** Condition type capi-init writes on its own LatticeCluster. */
export const CAPI_COMPONENTS_CONDITION = "CapiComponents";
/** Field manager of that condition. */
const FIELD_MANAGER = "lattice-capi-init";

const TYPES: Record<ClusterctlProvider["type"], WantedComponent["type"]> = {
  CoreProvider: "core",
  BootstrapProvider: "bootstrap",
  ControlPlaneProvider: "control-plane",
  InfrastructureProvider: "infrastructure",
};

/** Writes `CapiComponents` on the cluster's own LatticeCluster (server-side apply). */
export async function setComponentsCondition(
  client: KubeClient,
  clusterName: string,
  status: "True" | "False",
  reason: string,
  message: string,
): Promise<void> {
  await client.applyStatus({
    apiVersion: API_VERSION,
    kind: "LatticeCluster",
    metadata: { name: clusterName },
    status: {
      conditions: [{
        type: CAPI_COMPONENTS_CONDITION,
        status,
        reason,
        message,
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      }],
    },
  } as KubeObject, { fieldManager: FIELD_MANAGER, force: true });
}

/** The provider name of a spec (`aws`, `docker`, ...). */
function providerName(spec: LatticeClusterInput["spec"]): string {
  return Object.keys(spec.provider.config)[0] ?? "";
}

/**
 * The variables of this cluster's provider from its moved identities; empty values before
 * the pivot (the infrastructure cluster is not here yet) or when it uses none.
 */
export async function ownClusterctlVariables(
  client: KubeClient,
  own: LatticeClusterInput,
): Promise<Record<string, string>> {
  const name = own.metadata?.name ?? "";
  const provider = providerName(own.spec);
  const kind = infraProviderOf(provider as never, own.spec.provider.config as never);
  let infra: KubeObject | undefined;
  try {
    const ref = await client.resourceFor(kind.apiVersion, kind.clusterKind);
    infra = await client.get<KubeObject>(ref, name, capiNamespace(name));
  } catch (error) {
    // Before the pivot the provider's kinds may not be served yet: nothing moved here.
    if (
      !isNotFound(error) &&
      !/no resource|not served|Cannot find|Cannot resolve/i.test(String(error))
    ) {
      throw error;
    }
  }
  if (!infra) return clusterctlVariables(provider, undefined, []);
  const resources = new IdentityResources(client);
  const { objects } = await resolveIdentities(infra, (r) => resources.lookup(r));
  return clusterctlVariables(provider, infra, objects);
}

/**
 * Writes the local repository and configuration for `missing` under `dir`; throws (after
 * setting the condition) when the parent's components lack any of them.
 */
export async function prepareClusterctl(
  client: KubeClient,
  own: LatticeClusterInput,
  missing: readonly ClusterctlProvider[],
  dir: string,
): Promise<{ configPath: string; variables: string[] }> {
  const name = own.metadata?.name ?? "";
  const list = await client.list<KubeObject>(CONFIGMAP_REF, {
    namespace: NAMESPACE,
    labelSelector: COMPONENTS_LABEL,
  });
  const sets = componentSetsOf(list.items);
  const wanted = missing.map((p) => ({ type: TYPES[p.type], name: p.name }));
  const lacking = missingComponents(sets, wanted)
    // cert-manager is needed only when clusterctl installs the core provider (first init).
    .filter((m) => m !== "cert-manager" || wanted.some((w) => w.type === "core"));
  if (lacking.length > 0) {
    const message = `The parent cell sent no Cluster API components for ${lacking.join(", ")} ` +
      `(ConfigMaps labelled ${COMPONENTS_LABEL} in ${NAMESPACE}); capi-init downloads nothing`;
    await setComponentsCondition(client, name, "False", "ComponentsMissing", message);
    throw new Error(`Cannot install Cluster API: ${message}`);
  }
  const variables = await ownClusterctlVariables(client, own);
  const { configPath } = await writeLocalRepository(dir, sets, variables);
  return { configPath, variables: Object.keys(variables) };
}
