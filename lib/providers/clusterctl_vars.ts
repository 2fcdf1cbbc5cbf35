/**
 * The variables `clusterctl init` needs for each infrastructure provider, read from the
 * identity objects and Secrets the pivot moved onto the cluster (identities.ts). clusterctl
 * refuses to install a provider whose components name a variable that is not set, so every
 * variable a provider's components use is always present — empty when this cluster uses
 * per-cluster identities only (the controllers then take credentials from each cluster's
 * identity, as CAPA, CAPZ, CAPO and CAPMOX do).
 *
 * | provider  | variables                                                                |
 * | --------- | ------------------------------------------------------------------------ |
 * | aws       | AWS_B64ENCODED_CREDENTIALS (an AWS profile from the static identity's Secret and the AWSCluster's region) |
 * | azure     | AZURE_SUBSCRIPTION_ID, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and their `_B64` forms |
 * | gcp       | GCP_B64ENCODED_CREDENTIALS (the Secret's `credentials`)                  |
 * | openstack | OPENSTACK_CLOUD_YAML_B64, OPENSTACK_CLOUD_CACERT_B64, OPENSTACK_CLOUD      |
 * | proxmox   | PROXMOX_URL, PROXMOX_TOKEN, PROXMOX_SECRET                               |
 * | docker    | none                                                                     |
 */
import { Buffer } from "node:buffer";
import type { KubeObject } from "../kube/types.ts";
import type { IdentityRef } from "./identities.ts";

/** The variables every provider's components name (set empty when unknown). */
export const PROVIDER_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  aws: ["AWS_B64ENCODED_CREDENTIALS"],
  azure: [
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_SUBSCRIPTION_ID_B64",
    "AZURE_TENANT_ID_B64",
    "AZURE_CLIENT_ID_B64",
    "AZURE_CLIENT_SECRET_B64",
  ],
  gcp: ["GCP_B64ENCODED_CREDENTIALS"],
  openstack: ["OPENSTACK_CLOUD_YAML_B64", "OPENSTACK_CLOUD_CACERT_B64", "OPENSTACK_CLOUD"],
  proxmox: ["PROXMOX_URL", "PROXMOX_TOKEN", "PROXMOX_SECRET"],
  docker: [],
};

type Spec = Record<string, unknown>;
const specOf = (
  o: KubeObject | undefined,
): Spec => ((o as { spec?: Spec } | undefined)?.spec ?? {});
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** The value of `key` of a Secret (`data` base64, or `stringData`), if present. */
export function secretValue(secret: KubeObject | undefined, key: string): string | undefined {
  const s = secret as { data?: Record<string, string>; stringData?: Record<string, string> };
  const raw = s?.data?.[key];
  if (raw !== undefined) return Buffer.from(raw, "base64").toString("utf8");
  return s?.stringData?.[key];
}

/**
 * clusterctl's variables for `provider`, from the infrastructure cluster and the identity
 * objects it references (as resolveIdentities returns them).
 */
export function clusterctlVariables(
  provider: string,
  infra: KubeObject | undefined,
  identities: readonly { ref: IdentityRef; object: KubeObject }[],
): Record<string, string> {
  const vars: Record<string, string> = Object.fromEntries(
    (PROVIDER_VARIABLES[provider] ?? []).map((v) => [v, ""]),
  );
  const of = (kind: string) => identities.find((i) => i.ref.kind === kind)?.object;
  const secret = of("Secret");
  const spec = specOf(infra);
  switch (provider) {
    case "aws": {
      const id = secretValue(secret, "AccessKeyID");
      const key = secretValue(secret, "SecretAccessKey");
      if (id && key) {
        const token = secretValue(secret, "SessionToken");
        const region = typeof spec.region === "string" ? spec.region : undefined;
        // The profile `clusterawsadm bootstrap credentials encode-as-profile` writes.
        const profile = [
          "[default]",
          `aws_access_key_id = ${id}`,
          `aws_secret_access_key = ${key}`,
          ...(region ? [`region = ${region}`] : []),
          ...(token ? [`aws_session_token = ${token}`] : []),
        ].join("\n") + "\n";
        vars.AWS_B64ENCODED_CREDENTIALS = b64(profile);
      }
      break;
    }
    case "azure": {
      const identity = specOf(of("AzureClusterIdentity"));
      const values: Record<string, string | undefined> = {
        AZURE_SUBSCRIPTION_ID: typeof spec.subscriptionID === "string"
          ? spec.subscriptionID
          : undefined,
        AZURE_TENANT_ID: typeof identity.tenantID === "string" ? identity.tenantID : undefined,
        AZURE_CLIENT_ID: typeof identity.clientID === "string" ? identity.clientID : undefined,
        AZURE_CLIENT_SECRET: secretValue(secret, "clientSecret"),
      };
      for (const [name, value] of Object.entries(values)) {
        if (value === undefined) continue;
        vars[name] = value;
        vars[`${name}_B64`] = b64(value);
      }
      break;
    }
    case "gcp": {
      const credentials = secretValue(secret, "credentials");
      if (credentials) vars.GCP_B64ENCODED_CREDENTIALS = b64(credentials);
      break;
    }
    case "openstack": {
      const clouds = secretValue(secret, "clouds.yaml");
      if (clouds) vars.OPENSTACK_CLOUD_YAML_B64 = b64(clouds);
      const cacert = secretValue(secret, "cacert");
      if (cacert) vars.OPENSTACK_CLOUD_CACERT_B64 = b64(cacert);
      const ref = spec.identityRef as { cloudName?: string } | undefined;
      if (ref?.cloudName) vars.OPENSTACK_CLOUD = ref.cloudName;
      break;
    }
    case "proxmox": {
      vars.PROXMOX_URL = secretValue(secret, "url") ?? "";
      vars.PROXMOX_TOKEN = secretValue(secret, "token") ?? "";
      vars.PROXMOX_SECRET = secretValue(secret, "secret") ?? "";
      break;
    }
  }
  return vars;
}
