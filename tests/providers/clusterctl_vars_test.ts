import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { KubeObject } from "../../lib/kube/types.ts";
import {
  clusterctlVariables,
  identityRefs,
  infraClusterRefs,
  PROVIDER_VARIABLES,
  resolveIdentities,
} from "../../lib/providers/mod.ts";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const obj = (kind: string, spec: unknown, namespace?: string): KubeObject =>
  ({
    apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2",
    kind,
    metadata: { name: "x", ...(namespace ? { namespace } : {}) },
    spec,
  }) as KubeObject;

Deno.test("references: every provider's identity chain", () => {
  assert.deepEqual(
    infraClusterRefs(
      obj("AWSCluster", { identityRef: { kind: "AWSClusterRoleIdentity", name: "r" } }, "ns"),
    ),
    [
      { group: "infrastructure.cluster.x-k8s.io", kind: "AWSClusterRoleIdentity", name: "r" },
    ],
  );
  assert.deepEqual(identityRefs(obj("AWSClusterStaticIdentity", { secretRef: "s" })), [
    { group: "", kind: "Secret", namespace: "capa-system", name: "s" },
  ]);
  assert.deepEqual(
    infraClusterRefs(
      obj("OpenStackCluster", { identityRef: { type: "ClusterIdentity", name: "c" } }, "ns"),
    )[0].kind,
    "OpenStackClusterIdentity",
  );
  assert.deepEqual(
    infraClusterRefs(obj("OpenStackCluster", { identityRef: { name: "clouds" } }, "ns")),
    [
      { group: "", kind: "Secret", namespace: "ns", name: "clouds" },
    ],
  );
  assert.deepEqual(infraClusterRefs(obj("GCPCluster", {}, "ns")), []);
  assert.deepEqual(
    infraClusterRefs(obj("AzureCluster", { identityRef: { name: "id" } }, "ns"))[0].namespace,
    "ns",
  );
  assert.deepEqual(
    identityRefs(obj("AzureClusterIdentity", { clientSecret: { name: "s" } }, "ns")),
    [
      { group: "", kind: "Secret", namespace: "ns", name: "s" },
    ],
  );
  // Unknown kinds and malformed references name nothing.
  assert.deepEqual(
    infraClusterRefs(obj("AWSCluster", { identityRef: { kind: "Other", name: "r" } }, "ns")),
    [],
  );
  assert.deepEqual(infraClusterRefs(obj("DevCluster", {}, "ns")), []);
});

Deno.test("chains end on cycles and report what is missing", async () => {
  const role = obj("AWSClusterRoleIdentity", {
    sourceIdentityRef: { kind: "AWSClusterRoleIdentity", name: "r" },
  });
  const { objects, missing } = await resolveIdentities(
    obj("AWSCluster", { identityRef: { kind: "AWSClusterRoleIdentity", name: "r" } }, "ns"),
    (ref) => Promise.resolve(ref.name === "r" ? role : undefined),
  );
  assert.equal(objects.length, 1);
  assert.deepEqual(missing, []);
  const gone = await resolveIdentities(
    obj("GCPCluster", { credentialsRef: { name: "g", namespace: "ns" } }),
    () => Promise.resolve(undefined),
  );
  assert.deepEqual(gone.missing, [{ group: "", kind: "Secret", namespace: "ns", name: "g" }]);
});

Deno.test("clusterctl variables: all set (empty without identities), values from Secrets", () => {
  for (const [provider, names] of Object.entries(PROVIDER_VARIABLES)) {
    const vars = clusterctlVariables(provider, undefined, []);
    assert.deepEqual(Object.keys(vars).sort(), [...names].sort(), provider);
    assert.ok(Object.values(vars).every((v) => v === ""), provider);
  }
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s" },
    data: { AccessKeyID: b64("AK"), SecretAccessKey: b64("SK"), SessionToken: b64("T") },
  } as KubeObject;
  const aws = clusterctlVariables("aws", obj("AWSCluster", { region: "eu-west-1" }), [
    { ref: { group: "", kind: "Secret", name: "s" }, object: secret },
  ]);
  assert.equal(
    Buffer.from(aws.AWS_B64ENCODED_CREDENTIALS, "base64").toString(),
    "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\nregion = eu-west-1\naws_session_token = T\n",
  );
});
