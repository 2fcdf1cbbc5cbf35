import assert from "node:assert/strict";
import {
  compareSemver,
  isValidCidr,
  type LatticeClusterInput,
  LatticeClusterSchema,
  providerOf,
  validate,
} from "../../lib/api/mod.ts";
import { edited, minimalClusterDocument, validClusterDocument } from "./fixtures.ts";

type Doc = LatticeClusterInput;

/** Removes the field (for the invalid documents below). */
const REMOVE = Symbol("remove");

/** `doc` with the field at `path` (dotted) set to `value` — any value, valid or not. */
function withField(doc: Doc, path: string, value: unknown): unknown {
  const copy = structuredClone(doc) as unknown as Record<string, unknown>;
  const keys = path.split(".");
  let at = copy;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === REMOVE) delete at[last];
  else at[last] = value;
  return copy;
}

const valid: [string, Doc][] = [
  ["the spec's example", validClusterDocument()],
  ["minimal docker", minimalClusterDocument()],
  [
    "rke2 with a build-tagged version",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.provider.kubernetes = { version: "1.32.1+rke2r1", bootstrap: "rke2" };
    }),
  ],
  [
    "certSANs: DNS names, a wildcard, IPv4 and IPv6",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.provider.kubernetes.certSANs = [
        "api.example.com",
        "*.example.com",
        "10.0.0.1",
        "fd00::1",
      ];
    }),
  ],
  [
    "a disabled cell without host (a leaf)",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.cell = { enabled: false };
    }),
  ],
  [
    "NodePort cell without host (the semantic rules live in the controller)",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.cell = { service: { type: "NodePort" }, ports: { https: 31443, grpc: 31051 } };
    }),
  ],
  [
    "IPv6 pool",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.networking = { default: { cidr: "fd00:10::/112" }, pods: "10.244.0.0/16" };
    }),
  ],
  [
    "openstack",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.provider.config = {
        openstack: {
          credentialsSecret: "os",
          cpFlavor: "m1.large",
          workerFlavor: "m1.xl",
          image: "ubuntu",
        },
      };
    }),
  ],
  [
    "proxmox",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.provider.config = {
        proxmox: {
          credentialsSecret: "pve",
          controlPlaneEndpoint: "10.0.0.10",
          sourceNode: "pve1",
          templateId: 9000,
          ipv4Pool: { addresses: ["10.0.0.20-10.0.0.40"], prefix: 24, gateway: "10.0.0.1" },
          dnsServers: ["1.1.1.1"],
        },
      };
    }),
  ],
  [
    "gcp",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.provider.config = { gcp: { project: "acme", region: "europe-west4" } };
    }),
  ],
  [
    "azure",
    edited(minimalClusterDocument(), (d: Doc) => {
      d.spec.provider.config = {
        azure: { location: "westeurope", subscriptionId: "sub", identityRef: "id" },
      };
    }),
  ],
];

for (const [name, doc] of valid) {
  Deno.test(`LatticeCluster accepts ${name}`, () => {
    const result = validate(LatticeClusterSchema, doc);
    assert.deepEqual(result.ok ? [] : result.errors, []);
  });
}

const invalid: [string, string, unknown, string][] = [
  [
    "zero control-plane nodes",
    "spec.nodes.controlPlane",
    0,
    "spec.nodes.controlPlane: must be >= 1",
  ],
  ["negative workers", "spec.nodes.workers", -1, "spec.nodes.workers: must be >= 0"],
  [
    "fractional workers",
    "spec.nodes.workers",
    1.5,
    "spec.nodes.workers: Invalid input: expected int, received number",
  ],
  [
    "upper-case name",
    "metadata.name",
    "Prod",
    "metadata.name: must be a lowercase DNS-1123 label: a-z, 0-9 and '-', starting and ending with a letter or digit",
  ],
  [
    "64-character name",
    "metadata.name",
    "a".repeat(64),
    "metadata.name: must be no more than 63 characters",
  ],
  [
    "version not semver",
    "spec.provider.kubernetes.version",
    "1.31",
    "spec.provider.kubernetes.version: must be a version like 1.31.0 (MAJOR.MINOR.PATCH, digits only, without a leading v)",
  ],
  [
    "v-prefixed version (docs/adr/version-v-prefix.md)",
    "spec.provider.kubernetes.version",
    "v1.32.1",
    "spec.provider.kubernetes.version: must be a version like 1.31.0 (MAJOR.MINOR.PATCH, digits only, without a leading v)",
  ],
  [
    "unsupported Kubernetes minor",
    "spec.provider.kubernetes.version",
    "1.20.0",
    "spec.provider.kubernetes.version: must be a supported Kubernetes version, 1.29.x to 1.36.x (e.g. 1.35.0)",
  ],
  [
    "Flux 3",
    "spec.flux",
    { version: "3.0.0" },
    "spec.flux.version: must be a Flux 2.x release like 2.3.0",
  ],
  [
    "even control plane",
    "spec.nodes.controlPlane",
    4,
    "spec.nodes.controlPlane: must be odd (1, 3, 5, ...): etcd needs an odd number of members to keep quorum",
  ],
  [
    "a URL as certSAN",
    "spec.provider.kubernetes.certSANs",
    ["https://api.example.com"],
    "spec.provider.kubernetes.certSANs[0]: must be a lowercase DNS name (e.g. api.example.com or *.example.com) or an IP address (e.g. 10.0.0.1 or fd00::1)",
  ],
  [
    "a space as certSAN",
    "spec.provider.kubernetes.certSANs",
    [" "],
    "spec.provider.kubernetes.certSANs[0]: must be a lowercase DNS name (e.g. api.example.com or *.example.com) or an IP address (e.g. 10.0.0.1 or fd00::1)",
  ],
  [
    "a cellRef naming the cluster itself",
    "spec.cellRef",
    "us-prod-1",
    "spec.cellRef: names the cluster itself: set it to the parent cell's name, or omit it on the root cluster",
  ],
  [
    "an enabled cell without host",
    "spec.cell",
    { enabled: true },
    "spec.cell.host: is required for an enabled cell unless spec.cell.service.type is NodePort: set it to the address (DNS name or IP) children dial, or use NodePort, or set spec.cell.enabled to false",
  ],
  [
    "a NodePort cell without ports",
    "spec.cell",
    { service: { type: "NodePort" } },
    "spec.cell.ports: must set both https and grpc to ports in 30000-32767 when spec.cell.service.type is NodePort (the Service's nodePort equals the port, so children dial the port the cell listens on)",
  ],
  [
    "pods overlapping the default services",
    "spec.networking",
    { pods: "10.128.0.0/16" },
    "spec.networking: pods (192.168.0.0/16 when omitted) and services (10.128.0.0/12 when omitted) overlap: choose ranges that share no address",
  ],
  [
    "a pool inside the default pod network",
    "spec.networking",
    { default: { cidr: "192.168.10.0/24" } },
    "spec.networking.default.cidr: overlaps the pod network (spec.networking.pods, 192.168.0.0/16 when omitted): LoadBalancer addresses must lie outside the pod and service ranges",
  ],
  [
    "an IPv6 CIDR zod used to refuse only in code",
    "spec.networking",
    { default: { cidr: "fd00:::1/64" } },
    "spec.networking.default.cidr: must be a CIDR like 10.0.0.0/16 or fd00::/64 (IPv6 in hexadecimal form)",
  ],
  [
    "unknown bootstrap",
    "spec.provider.kubernetes.bootstrap",
    "k3s",
    'spec.provider.kubernetes.bootstrap: Invalid option: expected one of "kubeadm"|"rke2"',
  ],
  [
    "no provider",
    "spec.provider.config",
    {},
    "spec.provider.config: must set exactly one provider (one of docker, aws, openstack, proxmox, gcp, azure)",
  ],
  [
    "two providers",
    "spec.provider.config",
    { docker: {}, gcp: { project: "p", region: "r" } },
    "spec.provider.config: must set exactly one provider, found 2: docker, gcp",
  ],
  [
    "bad CIDR",
    "spec.networking",
    { default: { cidr: "172.18.255.1" } },
    "spec.networking.default.cidr: must be a CIDR like 10.0.0.0/16 or fd00::/64 (IPv6 in hexadecimal form)",
  ],
  [
    "CIDR prefix too long",
    "spec.networking",
    { default: { cidr: "10.0.0.0/33" } },
    "spec.networking.default.cidr: must be a CIDR like 10.0.0.0/16 or fd00::/64 (IPv6 in hexadecimal form)",
  ],
  [
    "bad cellRef",
    "spec.cellRef",
    "US_East",
    "spec.cellRef: must be a lowercase DNS-1123 label: a-z, 0-9 and '-', starting and ending with a letter or digit",
  ],
  [
    "bad flux interval",
    "spec.flux",
    { interval: "5 minutes" },
    "spec.flux.interval: must be a duration like 30s, 5m or 1h",
  ],
  ["typo in nodes", "spec.nodes.worker", 3, 'spec.nodes: Unrecognized key: "worker"'],
  [
    "missing nodes",
    "spec.nodes",
    REMOVE,
    "spec.nodes: Invalid input: expected object, received undefined",
  ],
  ["wrong kind", "kind", "Cluster", 'kind: Invalid input: expected "LatticeCluster"'],
  [
    "aws without region",
    "spec.provider.config.aws.region",
    REMOVE,
    "spec.provider.config.aws.region: Invalid input: expected string, received undefined",
  ],
  [
    "tiny aws volume",
    "spec.provider.config.aws.cpRootVolumeSize",
    4,
    "spec.provider.config.aws.cpRootVolumeSize: must be >= 8",
  ],
];

for (const [name, path, value, message] of invalid) {
  Deno.test(`LatticeCluster rejects ${name}`, () => {
    const result = validate(LatticeClusterSchema, withField(validClusterDocument(), path, value));
    assert.equal(result.ok, false);
    assert.deepEqual(result.ok ? [] : result.errors, [message]);
  });
}

Deno.test("LatticeCluster applies defaults", () => {
  const result = LatticeClusterSchema.parse(minimalClusterDocument());
  assert.equal(result.spec.provider.kubernetes.bootstrap, "kubeadm");
  const aws = LatticeClusterSchema.parse(edited(minimalClusterDocument(), (d: Doc) => {
    d.spec.provider.config = { aws: { region: "eu-west-1" } };
  }));
  assert.equal(aws.spec.provider.config.aws?.workerInstanceType, "t3.xlarge");
  assert.equal(providerOf(aws.spec.provider.config), "aws");
});

Deno.test("CIDR syntax", () => {
  for (
    const ok of [
      "0.0.0.0/0",
      "10.0.0.0/8",
      "fd00::/8",
      "::/0",
      "2001:db8::1/128",
      "1:2:3:4:5:6:7::/64",
      "::2:3:4:5:6:7:8/64",
      "1::8/64",
    ]
  ) {
    assert.equal(isValidCidr(ok), true, ok);
  }
  for (
    const bad of [
      "10.0.0.0",
      "256.0.0.0/8",
      "fd00:::1/64",
      "1:2:3:4:5:6:7:8:9/64",
      "x/1",
      "1:2:3:4:5:6:7/64",
      // Dotted-quad IPv6 tails are refused everywhere (lib/api/ip.ts).
      "::ffff:10.0.0.1/128",
      "1::2::3/64",
      "fd00::/129",
      "10.0.0.0/08",
      "010.0.0.0/8",
      "1:2:3:4:5:6:7:8::/64",
    ]
  ) {
    assert.equal(isValidCidr(bad), false, bad);
  }
});

Deno.test("semver comparison", () => {
  assert.ok(compareSemver("1.31.0", "1.32.0") < 0);
  assert.ok(compareSemver("v1.32.10", "1.32.9") > 0);
  assert.equal(compareSemver("1.31.0", "v1.31.0-rc.1"), 0);
});
