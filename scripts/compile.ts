/**
 * `deno task compile`: builds the self-contained `lattice` binary for linux x64 and arm64
 * into dist/. Everything the binary needs (CRDs, manifests, proto descriptors) is compiled
 * in from TypeScript modules, so nothing is read from beside the binary.
 *
 * `deno compile` downloads the `denort` runtime for each target, so this needs network
 * access to the Deno release servers; CI does not run it.
 */
const targets = [
  ["x86_64-unknown-linux-gnu", "dist/lattice-linux-x64"],
  ["aarch64-unknown-linux-gnu", "dist/lattice-linux-arm64"],
] as const;

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  for (const [target, output] of targets) {
    console.log(`compiling ${output} (${target})`);
    const status = await new Deno.Command(Deno.execPath(), {
      // The vendored Flux releases are read at run time (lib/flux/vendored.ts).
      args: [
        "compile",
        "-A",
        "--include",
        "third_party/flux",
        "--target",
        target,
        "--output",
        output,
        "main.ts",
      ],
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) Deno.exit(status.code);
  }
  await Deno.copyFile(new URL("dist/lattice-linux-x64", root), new URL("dist/lattice", root));
  console.log("dist/lattice -> linux x64");
}
