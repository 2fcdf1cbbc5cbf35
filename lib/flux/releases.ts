/**
 * The Flux releases Lattice can install: each a flux2 release and the controller versions
 * it ships (as flux2's manifests/bases pin them). Their manifests are vendored in
 * third_party/flux/v<version>/ by `deno task vendor-flux`.
 */

/** One supported Flux release. */
export interface FluxRelease {
  /** The flux2 release, without `v` (the form of `spec.flux.version`). */
  version: string;
  /** Controller → Go module version, as the flux2 release pins them. */
  components: Record<string, string>;
}

/** Every supported release, oldest first. */
export const FLUX_RELEASES: readonly FluxRelease[] = [
  // flux2 v2.7.3 pins source-controller v1.7.3 and kustomize-controller v1.7.2.
  {
    version: "2.7.3",
    components: { "source-controller": "v1.7.3", "kustomize-controller": "v1.7.2" },
  },
  // flux2 v2.9.3 pins source-controller v1.9.3 and kustomize-controller v1.9.4.
  {
    version: "2.9.3",
    components: { "source-controller": "v1.9.3", "kustomize-controller": "v1.9.4" },
  },
];

/** The release installed when neither the cluster, the repository nor the parent names one. */
export const DEFAULT_FLUX_VERSION = FLUX_RELEASES[FLUX_RELEASES.length - 1].version;

/** Optional controllers Lattice does not vendor (yet); asking for them is an error. */
export const UNSUPPORTED_COMPONENTS: readonly string[] = [
  "helm-controller",
  "notification-controller",
  "image-reflector-controller",
  "image-automation-controller",
];

/** The release of `version` (`2.9.3` or `v2.9.3`), if supported. */
export function fluxRelease(version: string): FluxRelease | undefined {
  const v = version.replace(/^v/, "");
  return FLUX_RELEASES.find((r) => r.version === v);
}

/** Why `version` cannot be installed, or undefined when it can. */
export function fluxReleaseProblem(version: string): string | undefined {
  if (fluxRelease(version)) return undefined;
  return `Flux ${version} is not supported by this Lattice (supported: ` +
    `${FLUX_RELEASES.map((r) => r.version).join(", ")})`;
}
