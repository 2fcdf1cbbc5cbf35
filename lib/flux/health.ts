/**
 * Reading Flux's state on a cluster: which release its controllers run, whether each is
 * available, and how the GitRepository and Kustomization Lattice wrote are doing. The
 * answer is a FluxStatusResponse, as the agent sends it to its parent.
 */
import { DEPLOYMENT_REF, getOrUndefined, type KubeClient, type KubeObject } from "../kube/mod.ts";
import type { FluxStatusResponse } from "../proto/lattice/agent/v1/agent.ts";
import {
  FLUX_NAMESPACE,
  FLUX_PART_OF_LABEL,
  FLUX_VERSION_LABEL,
  GIT_REPOSITORY_NAME,
  GIT_REPOSITORY_REF,
  KUSTOMIZATION_NAME,
  KUSTOMIZATION_REF,
} from "./names.ts";

/** A Deployment as far as health goes. */
export interface DeploymentView extends KubeObject {
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

interface FluxCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** A GitRepository or Kustomization as far as status goes. */
export interface FluxObjectView extends KubeObject {
  spec?: { suspend?: boolean; url?: string; secretRef?: { name: string } };
  status?: {
    conditions?: FluxCondition[];
    lastAppliedRevision?: string;
    observedGeneration?: number;
  };
}

/** Whether a Deployment rolled out its current generation and has every replica available. */
export function deploymentAvailable(d: DeploymentView): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= want && (s.availableReplicas ?? 0) >= want;
}

/** The Flux controller Deployments, by name. */
export async function fluxDeployments(client: KubeClient): Promise<Map<string, DeploymentView>> {
  const list = await client.list<DeploymentView>(DEPLOYMENT_REF, {
    namespace: FLUX_NAMESPACE,
    labelSelector: `${FLUX_PART_OF_LABEL}=flux`,
  }).catch(() => ({ items: [] as DeploymentView[] }));
  return new Map(list.items.map((d) => [d.metadata?.name ?? "", d]));
}

/** The release (`2.9.3`) the controllers run; undefined when none is installed. */
export function installedVersion(deployments: Map<string, DeploymentView>): string | undefined {
  const versions = [...deployments.values()]
    .map((d) => d.metadata?.labels?.[FLUX_VERSION_LABEL])
    .filter((v): v is string => !!v);
  return versions.length ? versions.sort()[0].replace(/^v/, "") : undefined;
}

function ready(obj: FluxObjectView | undefined): FluxCondition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === "Ready");
}

/** Flux's state on the cluster as a FluxStatusResponse. */
export async function fluxStatus(
  client: KubeClient,
  components: readonly string[],
): Promise<FluxStatusResponse> {
  const deployments = await fluxDeployments(client);
  const controllerStatus: Record<string, string> = {};
  const errors: string[] = [];
  for (const name of new Set([...components, ...deployments.keys()])) {
    const d = deployments.get(name);
    const state = !d ? "Missing" : deploymentAvailable(d) ? "Running" : "NotReady";
    controllerStatus[name] = state;
    if (state !== "Running") {
      errors.push(`${name} is ${state === "Missing" ? "missing" : "not ready"}`);
    }
  }
  const [repo, kust] = await Promise.all([
    getOrUndefined(() =>
      client.get<FluxObjectView>(GIT_REPOSITORY_REF, GIT_REPOSITORY_NAME, FLUX_NAMESPACE)
    ).catch(() => undefined),
    getOrUndefined(() =>
      client.get<FluxObjectView>(KUSTOMIZATION_REF, KUSTOMIZATION_NAME, FLUX_NAMESPACE)
    ).catch(() => undefined),
  ]);
  const repoReady = ready(repo);
  if (repo && repoReady?.status === "False") {
    errors.push(`GitRepository ${GIT_REPOSITORY_NAME}: ${repoReady.message ?? repoReady.reason}`);
  }
  const kustReady = ready(kust);
  if (kust && kustReady?.status === "False") {
    errors.push(`Kustomization ${KUSTOMIZATION_NAME}: ${kustReady.message ?? kustReady.reason}`);
  }
  const installed = deployments.size > 0;
  if (installed && !repo) errors.push(`GitRepository ${GIT_REPOSITORY_NAME} does not exist yet`);
  if (installed && !kust) errors.push(`Kustomization ${KUSTOMIZATION_NAME} does not exist yet`);
  return {
    version: installedVersion(deployments) ?? "",
    healthy: installed && Object.values(controllerStatus).every((s) => s === "Running"),
    lastSync: kustReady?.status === "True" ? kustReady.lastTransitionTime ?? "" : "",
    controllerStatus,
    errors,
    installed,
    suspended: kust?.spec?.suspend === true,
    lastAppliedRevision: kust?.status?.lastAppliedRevision ?? "",
    repoFluxVersion: "",
    repoFluxInterval: "",
  };
}
