/**
 * The OpenStack cloud controller manager's and Cinder CSI's `cloud.conf`, from the
 * clouds.yaml Secret the cluster's OpenStackCluster names (the same credentials CAPO uses).
 * The cell puts it in the child's bundle as Secret kube-system/cloud-config
 * (lib/bundle/cloud), because the controller must run before the node is initialized, long
 * before the pivot moves the Secret itself.
 */
import { parse } from "yaml";
import type { LatticeClusterSpec } from "../api/mod.ts";
import { capiNamespace } from "../capi/labels.ts";
import type { KubeClient } from "../kube/client.ts";
import { getOrUndefined } from "../kube/mod.ts";
import { SECRET_REF } from "../kube/refs.ts";
import type { KubeObject } from "../kube/types.ts";
import { secretValue } from "./clusterctl_vars.ts";

type Auth = Record<string, string | undefined>;

/** clouds.yaml `auth` keys → cloud.conf `[Global]` keys (cloud-provider-openstack's names). */
const KEYS: [string, string][] = [
  ["auth_url", "auth-url"],
  ["application_credential_id", "application-credential-id"],
  ["application_credential_name", "application-credential-name"],
  ["application_credential_secret", "application-credential-secret"],
  ["username", "username"],
  ["user_id", "user-id"],
  ["password", "password"],
  ["user_domain_name", "user-domain-name"],
  ["user_domain_id", "user-domain-id"],
  ["project_id", "tenant-id"],
  ["project_name", "tenant-name"],
  ["project_domain_name", "tenant-domain-name"],
  ["project_domain_id", "tenant-domain-id"],
  ["domain_name", "domain-name"],
  ["domain_id", "domain-id"],
];

function quote(value: string): string {
  if (/[\n\r"]/.test(value)) throw new Error("a clouds.yaml value holds a newline or a quote");
  return `"${value}"`;
}

/** `cloud.conf` of cloud `cloudName` in `cloudsYaml`; errors name what is missing. */
export function openstackCloudConf(cloudsYaml: string, cloudName: string): string {
  const doc = parse(cloudsYaml) as {
    clouds?: Record<string, { auth?: Auth; region_name?: string }>;
  };
  const cloud = doc?.clouds?.[cloudName];
  if (!cloud) throw new Error(`clouds.yaml has no cloud ${cloudName}`);
  const auth = cloud.auth ?? {};
  if (!auth.auth_url) throw new Error(`clouds.yaml cloud ${cloudName} has no auth.auth_url`);
  const lines = ["[Global]"];
  for (const [from, to] of KEYS) {
    const value = auth[from];
    if (typeof value === "string" && value !== "") lines.push(`${to}=${quote(value)}`);
  }
  if (cloud.region_name) lines.push(`region=${quote(cloud.region_name)}`);
  return lines.join("\n") + "\n";
}

/**
 * The `cloud.conf` of an OpenStack cluster, from its clouds.yaml Secret on the cell; undefined
 * for other providers or while the Secret is absent (the bundle then omits it).
 */
export async function readOpenstackCloudConf(
  client: Pick<KubeClient, "get">,
  cluster: { name: string; spec: LatticeClusterSpec },
): Promise<string | undefined> {
  const config = cluster.spec.provider.config.openstack;
  if (!config) return undefined;
  const secret = await getOrUndefined(() =>
    client.get<KubeObject>(SECRET_REF, config.credentialsSecret, capiNamespace(cluster.name))
  );
  const clouds = secretValue(secret, "clouds.yaml");
  return clouds === undefined ? undefined : openstackCloudConf(clouds, config.cloudName);
}
