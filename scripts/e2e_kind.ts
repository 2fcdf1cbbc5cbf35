/**
 * `deno task e2e`: the end-to-end flow against kind + real Cluster API (Docker provider), for
 * machines with a Docker engine. Prerequisites are checked up front with clear messages.
 *
 * Status: only the prerequisite checks exist. The flow itself (kind bootstrap cluster,
 * `clusterctl init --infrastructure docker`, Lattice from manifests/, the same steps as
 * tests/e2e/fleet_test.ts) is not written yet, because no machine this project runs on has a
 * Docker engine to develop it against; it exits 2 saying so instead of pretending.
 */

/** A tool the kind flow needs, and how to check it. */
export interface Prerequisite {
  name: string;
  args: string[];
  hint: string;
}

/** What `deno task e2e` needs on the machine. */
export const PREREQUISITES: readonly Prerequisite[] = [
  {
    name: "docker",
    args: ["info", "--format", "{{.ServerVersion}}"],
    hint: "a running Docker engine (docker info must succeed)",
  },
  { name: "kind", args: ["version"], hint: "kind (https://kind.sigs.k8s.io)" },
  { name: "clusterctl", args: ["version"], hint: "clusterctl v1.14 (Cluster API)" },
  { name: "kubectl", args: ["version", "--client"], hint: "kubectl" },
];

/** Names and hints of the prerequisites that fail their check. */
export async function missingPrerequisites(
  list: readonly Prerequisite[] = PREREQUISITES,
): Promise<string[]> {
  const missing: string[] = [];
  for (const p of list) {
    try {
      const out = await new Deno.Command(p.name, { args: p.args, stdout: "null", stderr: "null" })
        .output();
      if (!out.success) missing.push(`${p.name}: ${p.hint}`);
    } catch {
      missing.push(`${p.name}: ${p.hint}`);
    }
  }
  return missing;
}

if (import.meta.main) {
  const missing = await missingPrerequisites();
  if (missing.length > 0) {
    console.error("Cannot run the kind end-to-end test; missing prerequisites:");
    for (const m of missing) console.error(`  - ${m}`);
    console.error("The local end-to-end test (deno task test) needs none of these.");
    Deno.exit(1);
  }
  console.error("not implemented yet: the kind + Cluster API flow (see docs/testing.md)");
  Deno.exit(2);
}
