/**
 * Provider identity fixtures for the identity tests: the objects and Secrets each
 * provider's generated cluster (tests/capi/fixtures.ts PROVIDER_CONFIGS) references, with
 * an AWS role → static identity chain, an Azure Secret in another namespace, and the real
 * identity CRDs they need.
 */
import type { ProviderName } from "../../lib/api/mod.ts";
import type { KubeObject } from "../../lib/kube/mod.ts";

/** The identity CRDs of every provider (plus each provider's cluster/machine kinds). */
export const PROVIDER_IDENTITY_CRDS = [
  "cluster-api-provider-rke2-v0.25.0",
  "cluster-api-provider-aws-v2.11.1/infrastructure.cluster.x-k8s.io_awscluster",
  "cluster-api-provider-aws-v2.11.1/infrastructure.cluster.x-k8s.io_awsmachine",
  "cluster-api-provider-azure-v1.26.0/infrastructure.cluster.x-k8s.io_azurecluster",
  "cluster-api-provider-azure-v1.26.0/infrastructure.cluster.x-k8s.io_azuremachine",
  "cluster-api-provider-openstack-v0.14.7/infrastructure.cluster.x-k8s.io_openstackcluster",
  "cluster-api-provider-openstack-v0.14.7/infrastructure.cluster.x-k8s.io_openstackmachine",
  "cluster-api-provider-gcp-v1.12.0/infrastructure.cluster.x-k8s.io_gcpcluster",
  "cluster-api-provider-gcp-v1.12.0/infrastructure.cluster.x-k8s.io_gcpmachine",
  "cluster-api-provider-proxmox-v0.9.0/infrastructure.cluster.x-k8s.io_proxmoxcluster",
  "cluster-api-provider-proxmox-v0.9.0/infrastructure.cluster.x-k8s.io_proxmoxmachine",
];

const INFRA = "infrastructure.cluster.x-k8s.io";

/** The clouds.yaml of the OpenStack fixture. */
export const CLOUDS_YAML = `clouds:
  openstack:
    auth:
      auth_url: https://keystone.example:5000/v3
      application_credential_id: 0a1b2c
      application_credential_secret: s3cret
    region_name: RegionOne
    interface: public
    identity_api_version: 3
    auth_type: v3applicationcredential
`;

/** The identity objects `provider`'s fixture cluster in `namespace` references. */
export function identityFixture(provider: ProviderName, namespace: string): KubeObject[] {
  const secret = (ns: string, name: string, stringData: Record<string, string>): KubeObject =>
    ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: ns },
      type: "Opaque",
      stringData,
    }) as KubeObject;
  switch (provider) {
    case "aws":
      return [
        secret("capa-system", "lattice-aws-static", {
          AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
          SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        }),
        {
          apiVersion: `${INFRA}/v1beta2`,
          kind: "AWSClusterStaticIdentity",
          metadata: { name: "lattice-aws-static" },
          spec: { secretRef: "lattice-aws-static", allowedNamespaces: {} },
        } as KubeObject,
        {
          apiVersion: `${INFRA}/v1beta2`,
          kind: "AWSClusterRoleIdentity",
          metadata: { name: "lattice-aws" },
          spec: {
            roleARN: "arn:aws:iam::123456789012:role/lattice",
            sourceIdentityRef: { kind: "AWSClusterStaticIdentity", name: "lattice-aws-static" },
            allowedNamespaces: {},
          },
        } as KubeObject,
      ];
    case "azure":
      return [
        secret("lattice-credentials", "lattice-azure-sp", { clientSecret: "azure-s3cret" }),
        {
          apiVersion: `${INFRA}/v1beta1`,
          kind: "AzureClusterIdentity",
          metadata: { name: "lattice-azure", namespace },
          spec: {
            type: "ServicePrincipal",
            tenantID: "11111111-0000-4000-8000-000000000000",
            clientID: "22222222-0000-4000-8000-000000000000",
            clientSecret: { name: "lattice-azure-sp", namespace: "lattice-credentials" },
            allowedNamespaces: {},
          },
        } as KubeObject,
      ];
    case "openstack":
      return [secret(namespace, "openstack-cloud-config", { "clouds.yaml": CLOUDS_YAML })];
    case "gcp":
      return [secret(namespace, "gcp-credentials", {
        credentials: JSON.stringify({ type: "service_account", project_id: "lattice-prod" }),
      })];
    case "proxmox":
      return [secret(namespace, "proxmox-credentials", {
        url: "https://pve.example:8006",
        token: "capmox@pve!capi",
        secret: "0a1b2c3d-proxmox",
      })];
    default:
      return [];
  }
}
