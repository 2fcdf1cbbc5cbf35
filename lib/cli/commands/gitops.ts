/**
 * The GitOps commands (cluster, service, placement, flux, validate), built in
 * lib/gitops/cli on the repository model of lib/gitops.
 */
export { clusterCommand } from "../../gitops/cli/cluster.ts";
export { fluxCommand } from "../../gitops/cli/flux.ts";
export { placementCommand, serviceCommand } from "../../gitops/cli/service.ts";
export { validateCommand } from "../../gitops/cli/validate.ts";
