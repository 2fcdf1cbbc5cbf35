/**
 * Self mode and immutable templates: when a spec change alters a machine or bootstrap
 * template (e.g. a new instance type), the generator gives it a new content-hashed name;
 * self mode creates that template and points the control plane or MachineDeployment at
 * it, which is how CAPI rolls the machines. Pure planning here; self.ts applies.
 */
import {
  type ContractRef,
  generateCapiObjects,
  groupOf,
  type KubeObject as CapiObject,
} from "../../capi/mod.ts";
import type { KubeObject } from "../../kube/mod.ts";
import type { ClusterObject } from "./types.ts";

/** What self mode must change for templates; empty when nothing changed. */
export interface TemplatePlan {
  /** The templates the spec wants (current names), for pruning the others. */
  wanted: CapiObject[];
  /** New templates to create before any reference moves to them. */
  create: CapiObject[];
  /** New `machineTemplate.spec.infrastructureRef` of the control plane. */
  controlPlaneInfra?: ContractRef;
  /** New `template.spec.infrastructureRef` of the MachineDeployment. */
  workerInfra?: ContractRef;
  /** New `template.spec.bootstrap.configRef` of the MachineDeployment. */
  workerBootstrap?: ContractRef;
}

// Templates do not depend on the bootstrap information (only the control plane does).
const NO_BOOTSTRAP = { cellUrl: "https://unused", caBundlePem: "", tokenSecretName: "unused" };

type Json = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Json | undefined)?.[k], o);

function refTo(obj: CapiObject): ContractRef {
  return { apiGroup: groupOf(obj.apiVersion), kind: obj.kind, name: obj.metadata.name };
}

/** Compares the templates `cluster` wants with the ones `cp` and `md` use. */
export function planTemplates(
  cluster: ClusterObject,
  cp: KubeObject,
  md: KubeObject,
): TemplatePlan {
  const wanted = generateCapiObjects(cluster, NO_BOOTSTRAP);
  const plan: TemplatePlan = {
    wanted: [wanted.controlPlaneTemplate, wanted.workerTemplate, wanted.bootstrapTemplate],
    create: [],
  };
  const cpRef = at(cp, "spec", "machineTemplate", "spec", "infrastructureRef", "name");
  if (cpRef !== wanted.controlPlaneTemplate.metadata.name) {
    plan.create.push(wanted.controlPlaneTemplate);
    plan.controlPlaneInfra = refTo(wanted.controlPlaneTemplate);
  }
  const infraRef = at(md, "spec", "template", "spec", "infrastructureRef", "name");
  if (infraRef !== wanted.workerTemplate.metadata.name) {
    plan.create.push(wanted.workerTemplate);
    plan.workerInfra = refTo(wanted.workerTemplate);
  }
  const bootRef = at(md, "spec", "template", "spec", "bootstrap", "configRef", "name");
  if (bootRef !== wanted.bootstrapTemplate.metadata.name) {
    plan.create.push(wanted.bootstrapTemplate);
    plan.workerBootstrap = refTo(wanted.bootstrapTemplate);
  }
  return plan;
}
