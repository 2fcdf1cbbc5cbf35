/**
 * `deno task vendor-cloud [--verify] [FOLDER...]`: refreshes third_party/cloud (cloud
 * controller managers and CSI drivers, scripts/vendor_cloud/sources.ts) from the Go module
 * proxy, with the machinery of scripts/vendor_crds.ts (go.sum-checked downloads, PROVENANCE
 * with the sha256 of every file). Then run `deno task generate`: lib/bundle/cloud/_vendored.ts
 * embeds these files. `--verify` writes nothing and exits 1 on any difference.
 */
import { CLOUD_SETS } from "./vendor_cloud/sources.ts";
import { fetchSet, sameAsCommitted, writeSet } from "./vendor_crds.ts";
import { checkVendoredCrds } from "./vendor_crds/provenance.ts";

/** Offline check of third_party/cloud against its PROVENANCE files (for generate --check). */
export function checkVendoredCloud(dir: string): Promise<string[]> {
  return checkVendoredCrds(dir, CLOUD_SETS);
}

if (import.meta.main) {
  const root = new URL("../third_party/cloud", import.meta.url).pathname;
  const verify = Deno.args.includes("--verify");
  const wanted = Deno.args.filter((a) => !a.startsWith("--"));
  const unknown = wanted.filter((w) => !CLOUD_SETS.some((s) => s.folder === w));
  if (unknown.length > 0) {
    console.error(`unknown set(s): ${unknown.join(", ")}`);
    Deno.exit(2);
  }
  let failed = 0;
  for (const set of CLOUD_SETS.filter((s) => wanted.length === 0 || wanted.includes(s.folder))) {
    const folder = `${root}/${set.folder}`;
    try {
      const fetched = await fetchSet(set);
      if (await sameAsCommitted(folder, fetched)) {
        console.log(`${set.folder}: unchanged (${fetched.files.size} files via ${fetched.via})`);
      } else if (verify) {
        failed++;
        console.log(`${set.folder}: DIFFERS from the released source`);
      } else {
        await Deno.mkdir(root, { recursive: true });
        await writeSet(folder, fetched);
        console.log(`${set.folder}: written (${fetched.files.size} files via ${fetched.via})`);
      }
    } catch (e) {
      failed++;
      console.log(`${set.folder}: NOT REFRESHED (${(e as Error).message})`);
    }
  }
  Deno.exit(failed > 0 ? 1 : 0);
}
