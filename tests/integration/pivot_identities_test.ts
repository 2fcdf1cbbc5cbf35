/**
 * Provider identities travel with the pivot (lib/providers/identity_discovery.ts), between
 * two real control planes with the real provider CRDs: for every provider, a generated
 * cluster's identity objects and credential Secrets — cluster-scoped ones and Secrets in
 * other namespaces included — land on the child unchanged, with the same references
 * resolving there; an identity another cluster on the parent still uses is copied and stays
 * on the parent, and moves with the last cluster using it.
 */
import assert from "node:assert/strict";
import { type ProviderName, PROVIDERS } from "../../lib/api/mod.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { isAlreadyExists, isNotFound } from "../../lib/kube/mod.ts";
import {
  InProcessTransport,
  latticeClusterProgressStore,
  PivotTarget,
  runPivot,
} from "../../lib/pivot/mod.ts";
import {
  describeRef,
  type IdentityRef,
  IdentityResources,
  resolveIdentities,
} from "../../lib/providers/mod.ts";
import {
  CLUSTER_API_CRD_SETS,
  CLUSTERCTL_CRD_SET,
  labelProviderCrds,
  startControlPlane,
} from "../../lib/sandbox/mod.ts";
import { providerCluster } from "../capi/fixtures.ts";
import { createLatticeCluster } from "../pivot/live.ts";
import { applyGenerated } from "./_capi_sim.ts";
import { CLOUDS_YAML, identityFixture, PROVIDER_IDENTITY_CRDS } from "./_identities.ts";
import { fixtureComponentSets, INFRA_VERSIONS } from "./_components.ts";
import { parse } from "yaml";
import { Buffer } from "node:buffer";
import { NAMESPACE, namespaceObject } from "../../lib/bundle/mod.ts";
import { prepareClusterctl } from "../../lib/install/capi_components.ts";
import { requiredProviders } from "../../lib/install/clusterctl.ts";
import { componentConfigMaps, PROVIDER_VARIABLES } from "../../lib/providers/mod.ts";
import { resolveClusterctl } from "../../lib/sandbox/mod.ts";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** What each provider's moved identities must give clusterctl (tests/integration/_identities.ts). */
const EXPECTED_VARIABLES: Record<string, Record<string, string>> = {
  docker: {},
  aws: {
    AWS_B64ENCODED_CREDENTIALS: b64(
      "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n" +
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = us-west-2\n",
    ),
  },
  azure: {
    AZURE_SUBSCRIPTION_ID_B64: b64("00000000-0000-4000-8000-000000000000"),
    AZURE_TENANT_ID_B64: b64("11111111-0000-4000-8000-000000000000"),
    AZURE_CLIENT_ID_B64: b64("22222222-0000-4000-8000-000000000000"),
    AZURE_CLIENT_SECRET_B64: b64("azure-s3cret"),
  },
  gcp: {
    GCP_B64ENCODED_CREDENTIALS: b64(
      JSON.stringify({ type: "service_account", project_id: "lattice-prod" }),
    ),
  },
  openstack: { OPENSTACK_CLOUD_YAML_B64: b64(CLOUDS_YAML), OPENSTACK_CLOUD: "openstack" },
  proxmox: {
    PROXMOX_URL: "https://pve.example:8006",
    PROXMOX_TOKEN: "capmox@pve!capi",
    PROXMOX_SECRET: "0a1b2c3d-proxmox",
  },
};

async function createAll(client: KubeClient, objects: readonly KubeObject[]) {
  for (const o of objects) {
    if (o.metadata?.namespace) {
      await client.create({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: o.metadata.namespace },
      })
        .catch((e) => {
          if (!isAlreadyExists(e)) throw e;
        });
    }
    await client.create(structuredClone(o));
  }
}

async function infraOf(client: KubeClient, provider: ProviderName, name: string) {
  const ns = `capi-${name}`;
  const kinds: Record<string, string> = {
    aws: "AWSCluster",
    azure: "AzureCluster",
    openstack: "OpenStackCluster",
    gcp: "GCPCluster",
    proxmox: "ProxmoxCluster",
    docker: "DevCluster",
  };
  const resources = new IdentityResources(client);
  const version = provider === "aws" || provider === "docker"
    ? "v1beta2"
    : provider === "proxmox"
    ? "v1alpha2"
    : "v1beta1";
  const ref = await client.resourceFor(
    `infrastructure.cluster.x-k8s.io/${version}`,
    kinds[provider],
  );
  const infra = await client.get<KubeObject>(ref, name, ns);
  return { infra, resolved: await resolveIdentities(infra, (r) => resources.lookup(r)) };
}

const key = (r: IdentityRef) => describeRef(r);
const content = (o: KubeObject) => {
  const { spec, data, type } = o as KubeObject & { spec?: unknown; data?: unknown; type?: string };
  return {
    kind: o.kind,
    name: o.metadata?.name,
    namespace: o.metadata?.namespace,
    spec,
    data,
    type,
  };
};

async function pivot(parent: KubeClient, child: KubeClient, name: string) {
  const result = await runPivot({
    client: parent,
    clusterName: name,
    namespace: `capi-${name}`,
    transport: new InProcessTransport(new PivotTarget(child)),
    progress: latticeClusterProgressStore(parent, name),
  }, { maxObjects: 16 });
  assert.equal(result.done, true, `${name}: phase ${result.phase}`);
}

async function exists(client: KubeClient, ref: IdentityRef): Promise<boolean> {
  return (await new IdentityResources(client).lookup(ref)) !== undefined;
}

Deno.test("the pivot moves every provider's identities; shared ones stay on the parent", async (t) => {
  const crds = {
    lattice: true,
    upstream: [...CLUSTER_API_CRD_SETS, CLUSTERCTL_CRD_SET, ...PROVIDER_IDENTITY_CRDS],
  };
  const [parentPlane, childPlane] = await Promise.all([
    startControlPlane({ name: "identities-parent", crds }),
    startControlPlane({ name: "identities-child", crds }),
  ]);
  const parent = KubeClient.fromKubeconfig(parentPlane.kubeconfig);
  const child = KubeClient.fromKubeconfig(childPlane.kubeconfig);
  try {
    await Promise.all([
      labelProviderCrds(parentPlane.kubeconfig),
      labelProviderCrds(childPlane.kubeconfig),
    ]);
    for (const provider of PROVIDERS) {
      await t.step(
        `${provider}: identities land on the child with the same references`,
        async () => {
          const name = `${provider}-id`;
          const cluster = providerCluster(provider, { name, controlPlane: 1, workers: 1 });
          await createAll(parent, identityFixture(provider, `capi-${name}`));
          await applyGenerated(parent, cluster);
          await createLatticeCluster(parent, name);
          const before = await infraOf(parent, provider, name);
          assert.deepEqual(before.resolved.missing, [], `${provider}: fixture complete`);
          if (provider === "docker") assert.equal(before.resolved.objects.length, 0);
          else assert.ok(before.resolved.objects.length > 0, provider);

          await pivot(parent, child, name);
          const after = await infraOf(child, provider, name);
          assert.deepEqual(
            (after.infra as { spec?: unknown }).spec,
            (before.infra as { spec?: unknown }).spec,
            "the infrastructure's references are unchanged",
          );
          assert.deepEqual(
            after.resolved.missing.map(key),
            [],
            `${provider}: all resolve on the child`,
          );
          assert.deepEqual(
            after.resolved.objects.map((o) => content(o.object)),
            before.resolved.objects.map((o) => content(o.object)),
          );
          for (const { ref } of before.resolved.objects) {
            assert.equal(
              await exists(parent, ref),
              false,
              `${key(ref)} moved (no one else uses it)`,
            );
          }
        },
      );
    }

    await t.step("capi-init's clusterctl config holds the moved Secrets' variables", async () => {
      await child.apply(namespaceObject());
      for (const cm of componentConfigMaps(fixtureComponentSets(PROVIDERS), NAMESPACE)) {
        await child.apply(cm);
      }
      const clusterctlBin = await resolveClusterctl();
      assert.ok(clusterctlBin, "clusterctl is built (scripts/install_clusterctl.sh)");
      for (const provider of PROVIDERS) {
        const own = providerCluster(provider, {
          name: `${provider}-id`,
          controlPlane: 1,
          workers: 1,
        });
        const dir = await Deno.makeTempDir({ prefix: "lattice-capi-init-test-" });
        try {
          const { configPath } = await prepareClusterctl(
            child,
            own,
            requiredProviders(own.spec),
            dir,
          );
          const config = parse(await Deno.readTextFile(configPath)) as Record<string, unknown>;
          const expected = EXPECTED_VARIABLES[provider];
          for (const [name, value] of Object.entries(expected)) {
            assert.equal(config[name], value, `${provider}: ${name}`);
          }
          for (const name of PROVIDER_VARIABLES[provider]) {
            assert.equal(typeof config[name], "string", `${provider}: ${name} is set`);
          }
          // The REAL clusterctl reads the components from the local repository and fills in
          // the variables, with every HTTP(S) request sent to a closed loopback port.
          const out = await new Deno.Command(clusterctlBin!, {
            args: [
              "generate",
              "provider",
              "--infrastructure",
              `${provider}:${INFRA_VERSIONS[provider]}`,
              "--config",
              configPath,
            ],
            env: {
              HOME: dir,
              CLUSTERCTL_DISABLE_VERSIONCHECK: "true",
              HTTPS_PROXY: "http://127.0.0.1:9",
              HTTP_PROXY: "http://127.0.0.1:9",
              NO_PROXY: "",
            },
            clearEnv: true,
            stdout: "piped",
            stderr: "piped",
          }).output();
          const text = new TextDecoder().decode(out.stdout);
          assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
          for (const [name, value] of Object.entries(expected)) {
            assert.ok(
              text.includes(`${name.toLowerCase()}: ${value}`),
              `${provider}: ${name}\n${text}`,
            );
          }
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      }
    });

    await t.step("a second cluster sharing an AWS identity keeps it on the parent", async () => {
      const shared = identityFixture("aws", "capi-aws-a");
      await createAll(parent, shared);
      for (const name of ["aws-a", "aws-b"]) {
        await applyGenerated(parent, providerCluster("aws", { name, controlPlane: 1, workers: 1 }));
        await createLatticeCluster(parent, name);
      }
      const { resolved } = await infraOf(parent, "aws", "aws-a");
      const refs = resolved.objects.map((o) => o.ref);
      assert.equal(refs.length, 3, refs.map(key).join(", ")); // role → static → Secret

      await pivot(parent, child, "aws-a");
      for (const ref of refs) {
        assert.ok(await exists(child, ref), `${key(ref)} copied to the child`);
        assert.ok(await exists(parent, ref), `${key(ref)} stays: aws-b uses it`);
      }
      // aws-b is the last user: its pivot moves the identities off the parent.
      await pivot(parent, child, "aws-b");
      for (const ref of refs) {
        assert.equal(await exists(parent, ref), false, `${key(ref)} moved with its last user`);
        assert.ok(await exists(child, ref), key(ref));
      }
    });

    await t.step("a missing identity stops the pivot with the reference named", async () => {
      const name = "azure-missing";
      await applyGenerated(parent, providerCluster("azure", { name, controlPlane: 1, workers: 1 }));
      await createLatticeCluster(parent, name);
      const result = await runPivot({
        client: parent,
        clusterName: name,
        namespace: `capi-${name}`,
        transport: new InProcessTransport(new PivotTarget(child)),
        progress: latticeClusterProgressStore(parent, name),
      });
      assert.equal(result.done, false);
      const lc = await parent.get<
        KubeObject & { status?: { conditions?: { type: string; message?: string }[] } }
      >(
        {
          group: "lattice.dev",
          version: "v1alpha1",
          plural: "latticeclusters",
          kind: "LatticeCluster",
          namespaced: false,
        },
        name,
      );
      const pivoted = lc.status?.conditions?.find((c) => c.type === "Pivoted");
      assert.match(
        pivoted?.message ?? "",
        /AzureClusterIdentity capi-azure-missing\/lattice-azure \(missing/,
      );
      const cluster = await parent.get<KubeObject>(
        await parent.resourceFor("cluster.x-k8s.io/v1beta2", "Cluster"),
        name,
        `capi-${name}`,
      ).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      assert.ok(cluster, "nothing was moved");
    });
  } finally {
    parent.close();
    child.close();
    await Promise.all([parentPlane.stop(), childPlane.stop()]);
  }
});
