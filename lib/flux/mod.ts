/**
 * Flux on every cluster: the vendored releases, the installer the agent (and the root) run,
 * the cell's side that tells each child what Flux to run, and status mirroring.
 *
 * @module
 */
export { FluxAgent, type FluxAgentOptions } from "./agent.ts";
export { type CellFluxSource, CellFluxSync, type CellFluxSyncOptions } from "./cell_sync.ts";
export { gitCredentialsData, gitCredentialsProblem } from "./credentials.ts";
export { deploymentAvailable, fluxDeployments, fluxStatus, installedVersion } from "./health.ts";
export { FluxInstaller, type FluxInstallerOptions, FluxInstallError } from "./installer.ts";
export * from "./names.ts";
export {
  DEFAULT_FLUX_VERSION,
  FLUX_RELEASES,
  type FluxRelease,
  fluxRelease,
  fluxReleaseProblem,
} from "./releases.ts";
export { readRepoFlux, REPO_CONFIG_REF, type RepoFlux } from "./repo_config.ts";
export { childPath, installKey, normalizePath, resolveChildFlux } from "./resolve.ts";
export { FLUX_READY, fluxCondition, writeFluxStatus } from "./status_write.ts";
export { fluxManifests, vendoredFluxProblems } from "./vendored.ts";
export { type GitSource, readGitSource, repoUrlProblem } from "./git_source.ts";
export { SelfFlux, type SelfFluxOptions } from "./self.ts";
