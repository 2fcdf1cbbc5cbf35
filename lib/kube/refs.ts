/** Resources of the built-in kinds Lattice reads and writes. */
import type { ResourceRef } from "./types.ts";

const core = (plural: string, kind: string, namespaced = true): ResourceRef => ({
  group: "",
  version: "v1",
  plural,
  kind,
  namespaced,
});

/** Secrets. */
export const SECRET_REF: ResourceRef = core("secrets", "Secret");
/** ConfigMaps. */
export const CONFIGMAP_REF: ResourceRef = core("configmaps", "ConfigMap");
/** Pods. */
export const POD_REF: ResourceRef = core("pods", "Pod");
/** Nodes. */
export const NODE_REF: ResourceRef = core("nodes", "Node", false);
/** Deployments. */
export const DEPLOYMENT_REF: ResourceRef = {
  group: "apps",
  version: "v1",
  plural: "deployments",
  kind: "Deployment",
  namespaced: true,
};
/** ClusterRoleBindings. */
export const CLUSTER_ROLE_BINDING_REF: ResourceRef = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  plural: "clusterrolebindings",
  kind: "ClusterRoleBinding",
  namespaced: false,
};
/** CustomResourceDefinitions. */
export const CRD_REF: ResourceRef = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
};
