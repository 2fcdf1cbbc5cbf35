/**
 * The real Flux controllers the sandbox runs: present in the cache that
 * scripts/install_flux_bins.sh fills, or built by that script (about 2 minutes per
 * controller, once).
 */
import { FLUX_RELEASES } from "../flux/releases.ts";
import { fluxBinDir } from "./flux_kubelet.ts";

/** The binaries every vendored release needs that are not in `dir` yet. */
export async function missingFluxBinaries(dir: string = fluxBinDir()): Promise<string[]> {
  const missing: string[] = [];
  for (const release of FLUX_RELEASES) {
    for (const [component, version] of Object.entries(release.components)) {
      const path = `${dir}/${component}-${version}`;
      const ok = await Deno.stat(path).then((s) => s.isFile, () => false);
      if (!ok) missing.push(path);
    }
  }
  return missing;
}

/**
 * Builds the missing controllers with scripts/install_flux_bins.sh (running from source);
 * throws saying how to get them otherwise.
 */
export async function ensureFluxBinaries(print: (line: string) => void = () => {}): Promise<void> {
  const missing = await missingFluxBinaries();
  if (missing.length === 0) return;
  const script = new URL("../../scripts/install_flux_bins.sh", import.meta.url);
  const present = script.protocol === "file:" &&
    await Deno.stat(script).then(() => true, () => false);
  if (!present) {
    throw new Error(
      `Cannot run Flux in the sandbox: ${missing.join(", ")} missing; build them with ` +
        "scripts/install_flux_bins.sh from a Lattice checkout (or set LATTICE_FLUX_BIN)",
    );
  }
  print("Building the Flux controllers from their Go modules (first time only; minutes) ...");
  const out = await new Deno.Command("bash", {
    args: [script.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const tail = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-10).join("\n");
    throw new Error(`Cannot build the Flux controllers:\n${tail}`);
  }
}
