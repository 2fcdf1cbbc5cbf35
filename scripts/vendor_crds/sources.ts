/**
 * What `deno task vendor-crds` vendors into third_party/crds: for each folder (the first
 * segment of an installCrds set name, e.g. "cluster-api-v1.14.0"), the released Go
 * module(s) it comes from and the paths inside them. This list is the source of truth;
 * every folder's PROVENANCE file is written from it, and `generate --check` compares the two.
 */

/** One released module and the files taken from it. */
export interface CrdSource {
  /** Go module path, as the module proxy serves it. */
  module: string;
  /** Released version (a tag, never a pseudo-version). */
  version: string;
  /**
   * Paths inside the module: a file (`dir/name.yaml`) or a pattern with one `*` in the
   * last segment (`config/crd/bases/*.yaml`). A file is vendored under its base name
   * unless {@link rename} names it otherwise.
   */
  paths: readonly string[];
  /** Vendored name of a file whose upstream name differs from the reference copy. */
  rename?: Readonly<Record<string, string>>;
}

/**
 * Where to get a set when the module proxy does not serve its module: a git clone of the
 * released tag, pinned to its commit.
 */
export interface GitFallback {
  url: string;
  tag: string;
  commit: string;
}

/** One vendored folder. */
export interface CrdSet {
  /** Folder under third_party/crds; also the first segment of installCrds set names. */
  folder: string;
  /** Upstream repository (owner/name on GitHub). */
  project: string;
  /** The released tag of `project` the files correspond to. */
  tag: string;
  licence: string;
  sources: readonly CrdSource[];
  /** When the module proxy refuses `sources` (see {@link CrdSet.note}). */
  git?: GitFallback;
  /** Anything a reader must know about where the bytes come from. */
  note?: string;
}

const BASES = "config/crd/bases";
const APACHE = "Apache-2.0";

/** Every vendored set, in folder order. */
export const CRD_SETS: readonly CrdSet[] = [
  {
    folder: "cilium-v1.19.4",
    project: "cilium/cilium",
    tag: "v1.19.4",
    licence: `${APACHE} (Cilium's user-space components, which include these CRDs)`,
    sources: [{
      module: "github.com/cilium/cilium",
      version: "v1.19.4",
      paths: [
        "pkg/k8s/apis/cilium.io/client/crds/v2/ciliumclusterwidenetworkpolicies.yaml",
        "pkg/k8s/apis/cilium.io/client/crds/v2/ciliumloadbalancerippools.yaml",
        "pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml",
        "pkg/k8s/apis/cilium.io/client/crds/v2alpha1/ciliuml2announcementpolicies.yaml",
      ],
    }],
    note: "Only the four CRDs Lattice generates objects for (CNP, CCNP, LB-IPAM pool, " +
      "L2 announcement policy). The module zip is about 35 MB.",
  },
  {
    folder: "cluster-api-provider-aws-v2.11.1",
    project: "kubernetes-sigs/cluster-api-provider-aws",
    tag: "v2.11.1",
    licence: APACHE,
    sources: [{
      module: "sigs.k8s.io/cluster-api-provider-aws/v2",
      version: "v2.11.1",
      paths: [`${BASES}/infrastructure.cluster.x-k8s.io_aws*.yaml`],
    }],
    note: "Only the infrastructure AWS* CRDs; EKS, ROSA and NodeAdm CRDs are not vendored.",
  },
  {
    folder: "cluster-api-provider-azure-v1.26.0",
    project: "kubernetes-sigs/cluster-api-provider-azure",
    tag: "v1.26.0",
    licence: APACHE,
    sources: [{
      module: "sigs.k8s.io/cluster-api-provider-azure",
      version: "v1.26.0",
      paths: [`${BASES}/*.yaml`],
    }],
  },
  {
    folder: "cluster-api-provider-gcp-v1.12.0",
    project: "kubernetes-sigs/cluster-api-provider-gcp",
    tag: "v1.12.0",
    licence: APACHE,
    sources: [{
      module: "sigs.k8s.io/cluster-api-provider-gcp",
      version: "v1.12.0",
      paths: [`${BASES}/*.yaml`],
    }],
  },
  {
    folder: "cluster-api-provider-openstack-v0.14.7",
    project: "kubernetes-sigs/cluster-api-provider-openstack",
    tag: "v0.14.7",
    licence: APACHE,
    sources: [{
      module: "sigs.k8s.io/cluster-api-provider-openstack",
      version: "v0.14.7",
      paths: [`${BASES}/*.yaml`],
    }],
  },
  {
    folder: "cluster-api-provider-proxmox-v0.9.0",
    project: "ionos-cloud/cluster-api-provider-proxmox",
    tag: "v0.9.0",
    licence: APACHE,
    sources: [{
      module: "github.com/ionos-cloud/cluster-api-provider-proxmox",
      version: "v0.9.0",
      paths: [`${BASES}/*.yaml`],
    }],
  },
  {
    folder: "cluster-api-provider-rke2-v0.25.0",
    project: "rancher/cluster-api-provider-rke2",
    tag: "v0.25.0",
    licence: APACHE,
    sources: [{
      module: "github.com/rancher/cluster-api-provider-rke2",
      version: "v0.25.0",
      paths: [
        `bootstrap/${BASES}/*.yaml`,
        `controlplane/${BASES}/*.yaml`,
      ],
    }],
    git: {
      url: "https://github.com/rancher/cluster-api-provider-rke2",
      tag: "v0.25.0",
      commit: "dcfa2e0efbcb0488543efe586f8b1dadfe36ff56",
    },
    note: 'The Go module proxy refuses this module (every version: "not available"), and ' +
      "no other served module carries these files. The refresh clones the release tag " +
      "instead (git, pinned to its commit); where that host is unreachable the committed " +
      "files are kept and still checked against the hashes below.",
  },
  {
    folder: "cluster-api-v1.14.0",
    project: "kubernetes-sigs/cluster-api",
    tag: "v1.14.0",
    licence: APACHE,
    sources: [
      {
        module: "sigs.k8s.io/cluster-api",
        version: "v1.14.0",
        paths: [
          `core/${BASES}/*.yaml`,
          `bootstrap/kubeadm/${BASES}/*.yaml`,
          `controlplane/kubeadm/${BASES}/*.yaml`,
          `cmd/clusterctl/${BASES}/*.yaml`,
        ],
      },
      {
        // test/ is a module of its own, so the main module's zip lacks it.
        module: "sigs.k8s.io/cluster-api/test",
        version: "v1.14.0",
        paths: [`infrastructure/docker/${BASES}/*.yaml`],
      },
    ],
  },
  {
    folder: "flux-helm-controller-v1.6.3",
    project: "fluxcd/helm-controller",
    tag: "v1.6.3",
    licence: APACHE,
    sources: [{
      module: "github.com/fluxcd/helm-controller",
      version: "v1.6.3",
      paths: [`${BASES}/*.yaml`],
    }],
  },
  {
    folder: "flux-kustomize-controller-v1.9.4",
    project: "fluxcd/kustomize-controller",
    tag: "v1.9.4",
    licence: APACHE,
    sources: [{
      module: "github.com/fluxcd/kustomize-controller",
      version: "v1.9.4",
      paths: [`${BASES}/*.yaml`],
    }],
  },
  {
    folder: "flux-notification-controller-v1.9.3",
    project: "fluxcd/notification-controller",
    tag: "v1.9.3",
    licence: APACHE,
    sources: [{
      module: "github.com/fluxcd/notification-controller",
      version: "v1.9.3",
      paths: [`${BASES}/*.yaml`],
    }],
  },
  {
    folder: "flux-source-controller-v1.9.1",
    project: "fluxcd/source-controller",
    tag: "v1.9.1",
    licence: APACHE,
    sources: [{
      module: "github.com/fluxcd/source-controller",
      version: "v1.9.1",
      paths: [`${BASES}/*.yaml`],
    }],
  },
  {
    folder: "istio-1.30.3",
    project: "istio/istio",
    tag: "1.30.3",
    licence: APACHE,
    sources: [{
      module: "istio.io/api",
      version: "v1.30.3",
      paths: ["kubernetes/customresourcedefinitions.gen.yaml"],
      rename: { "kubernetes/customresourcedefinitions.gen.yaml": "crd-all.gen.yaml" },
    }],
    note: "istio/istio ships these CRDs as manifests/charts/base/files/crd-all.gen.yaml, a " +
      "byte-for-byte copy of istio/api's kubernetes/customresourcedefinitions.gen.yaml at " +
      "the same release. istio.io/istio is not served at 1.30.3 (its tags are not semantic " +
      "versions), istio.io/api is (v1.30.3), so the file is taken from there under istio's name.",
  },
];
