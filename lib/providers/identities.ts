/**
 * Which provider identity objects and credential Secrets a cluster's infrastructure
 * references (pure: objects in, references out). The pivot moves them with the cluster
 * (lib/providers/identity_discovery.ts) and capi-init reads clusterctl's variables from
 * them (lib/providers/clusterctl_vars.ts).
 *
 * | infrastructure   | reference                             | what it names                              |
 * | ---------------- | ------------------------------------- | ------------------------------------------ |
 * | AWSCluster       | spec.identityRef {kind, name}         | AWSClusterStaticIdentity / RoleIdentity / ControllerIdentity (cluster-scoped) |
 * | AWSClusterStaticIdentity | spec.secretRef (a name)       | Secret in CAPA's namespace (capa-system)   |
 * | AWSClusterRoleIdentity | spec.sourceIdentityRef {kind, name} | another AWS identity (chained)         |
 * | AzureCluster     | spec.identityRef {name, namespace?}   | AzureClusterIdentity (namespaced)          |
 * | AzureClusterIdentity | spec.clientSecret {name, namespace} | Secret with `clientSecret`               |
 * | OpenStackCluster | spec.identityRef {type, name}         | Secret `clouds.yaml` beside it, or OpenStackClusterIdentity (cluster-scoped) |
 * | OpenStackClusterIdentity | spec.secretRef {name, namespace} | Secret `clouds.yaml`                   |
 * | GCPCluster       | spec.credentialsRef {name, namespace} | Secret `credentials`                       |
 * | ProxmoxCluster   | spec.credentialsRef {name, namespace} | Secret `url`, `token`, `secret`            |
 */
import type { KubeObject } from "../kube/types.ts";

/** Group of every infrastructure provider's kinds. */
export const INFRA_GROUP = "infrastructure.cluster.x-k8s.io";
/** The namespace clusterctl installs CAPA into; CAPA reads static identities' Secrets there. */
export const CAPA_NAMESPACE = "capa-system";

/** One object a cluster's infrastructure depends on for its credentials. */
export interface IdentityRef {
  /** API group ("" for Secrets). */
  group: string;
  kind: string;
  /** Absent for cluster-scoped kinds. */
  namespace?: string;
  name: string;
}

/** `Kind ns/name` (or `Kind name`) of a reference. */
export function describeRef(ref: IdentityRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}

/** A stable key of a reference. */
export function refKey(ref: IdentityRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
}

/** Infrastructure cluster kinds that reference identities. */
export const INFRA_CLUSTER_KINDS = [
  "AWSCluster",
  "AzureCluster",
  "OpenStackCluster",
  "GCPCluster",
  "ProxmoxCluster",
] as const;

const AWS_IDENTITY_KINDS = new Set([
  "AWSClusterStaticIdentity",
  "AWSClusterRoleIdentity",
  "AWSClusterControllerIdentity",
]);

type Spec = Record<string, unknown>;
const specOf = (o: KubeObject): Spec => ((o as { spec?: Spec }).spec ?? {});
const str = (v: unknown): string | undefined => typeof v === "string" && v ? v : undefined;
const rec = (v: unknown): Spec | undefined =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? v as Spec : undefined;

function secret(namespace: string | undefined, name: string | undefined): IdentityRef[] {
  return namespace && name ? [{ group: "", kind: "Secret", namespace, name }] : [];
}

/** What an infrastructure cluster object references directly. */
export function infraClusterRefs(infra: KubeObject): IdentityRef[] {
  const spec = specOf(infra);
  const ns = infra.metadata?.namespace;
  switch (infra.kind) {
    case "AWSCluster": {
      const ref = rec(spec.identityRef);
      const kind = str(ref?.kind);
      const name = str(ref?.name);
      return kind && name && AWS_IDENTITY_KINDS.has(kind)
        ? [{ group: INFRA_GROUP, kind, name }]
        : [];
    }
    case "AzureCluster": {
      const ref = rec(spec.identityRef);
      const name = str(ref?.name);
      return name
        ? [{
          group: INFRA_GROUP,
          kind: "AzureClusterIdentity",
          namespace: str(ref?.namespace) ?? ns,
          name,
        }]
        : [];
    }
    case "OpenStackCluster": {
      const ref = rec(spec.identityRef);
      const name = str(ref?.name);
      if (!name) return [];
      return str(ref?.type) === "ClusterIdentity"
        ? [{ group: INFRA_GROUP, kind: "OpenStackClusterIdentity", name }]
        : secret(ns, name);
    }
    case "GCPCluster":
    case "ProxmoxCluster": {
      const ref = rec(spec.credentialsRef);
      return secret(str(ref?.namespace) ?? ns, str(ref?.name));
    }
    default:
      return [];
  }
}

/** What an identity object references in turn (its Secret, a source identity). */
export function identityRefs(identity: KubeObject): IdentityRef[] {
  const spec = specOf(identity);
  switch (identity.kind) {
    case "AWSClusterStaticIdentity":
      return secret(CAPA_NAMESPACE, str(spec.secretRef));
    case "AWSClusterRoleIdentity": {
      const ref = rec(spec.sourceIdentityRef);
      const kind = str(ref?.kind);
      const name = str(ref?.name);
      return kind && name && AWS_IDENTITY_KINDS.has(kind)
        ? [{ group: INFRA_GROUP, kind, name }]
        : [];
    }
    case "AzureClusterIdentity": {
      const ref = rec(spec.clientSecret);
      return secret(str(ref?.namespace) ?? identity.metadata?.namespace, str(ref?.name));
    }
    case "OpenStackClusterIdentity": {
      const ref = rec(spec.secretRef);
      return secret(str(ref?.namespace), str(ref?.name));
    }
    default:
      return [];
  }
}

/**
 * Every identity object and Secret `infra` depends on, following chains (role identities)
 * through `lookup`; what `lookup` cannot find is listed in `missing`. Cycles end.
 */
export async function resolveIdentities(
  infra: KubeObject,
  lookup: (ref: IdentityRef) => Promise<KubeObject | undefined>,
): Promise<{ objects: { ref: IdentityRef; object: KubeObject }[]; missing: IdentityRef[] }> {
  const objects: { ref: IdentityRef; object: KubeObject }[] = [];
  const missing: IdentityRef[] = [];
  const seen = new Set<string>();
  const queue = infraClusterRefs(infra);
  while (queue.length > 0) {
    const ref = queue.shift()!;
    if (seen.has(refKey(ref))) continue;
    seen.add(refKey(ref));
    const object = await lookup(ref);
    if (!object) {
      missing.push(ref);
      continue;
    }
    objects.push({ ref, object });
    queue.push(...identityRefs(object));
  }
  return { objects, missing };
}
