/**
 * The CLI as a new user meets it on a fresh repository: `init`, every provider's flags,
 * version normalisation, negative numbers, broken YAML failing every command with file
 * and line, "Unchanged" for no-ops, "did you mean", and shell completion.
 */
import assert from "node:assert/strict";
import { type CliContext, rootCommand, runCli } from "../../lib/cli/mod.ts";
import { ODD_CONTROL_PLANE, PROVIDERS } from "../../lib/api/mod.ts";
import { bashCompletion, fishCompletion, zshCompletion } from "../../lib/cli/completion.ts";
import {
  PROVIDER_FIELDS,
  type ProviderField,
  providerFields,
} from "../../lib/gitops/cli/provider_flags.ts";

async function run(cwd: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {},
    cwd,
  };
  const code = await runCli(rootCommand(), args, ctx);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

async function freshRepo(...flags: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-cli-" });
  const r = await run(dir, "init", "--provider", "docker", ...flags);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

/** A valid value for a provider field, as typed on the command line. */
function sample(field: ProviderField): string {
  if (field.kind === "int") return field.path.at(-1) === "templateId" ? "100" : "24";
  if (field.kind === "enum") return field.values![0];
  if (field.kind === "list") return "10.0.0.10-10.0.0.20,10.0.0.30";
  if (field.kind === "boolean") return "true";
  if (/gateway|endpoint/i.test(field.flag)) return "10.0.0.1";
  return `x-${field.flag}`;
}

function requiredFlags(provider: string): string[] {
  return providerFields(provider as never).filter((f) => f.required)
    .flatMap((f) => [`--${f.flag}`, sample(f)]);
}

const NO_ZOD = /Invalid input|expected string|received undefined|Too (big|small)|"code":/;

Deno.test("init writes the root cell, kustomizations and config; a re-run is Unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-cli-" });
  try {
    const first = await run(dir, "init", "--provider", "docker", "--k8s-version", "v1.33.0");
    assert.equal(first.code, 0, first.stderr);
    for (
      const path of [
        "cluster.yaml",
        "kustomization.yaml",
        "registrations/kustomization.yaml",
        "children/kustomization.yaml",
        ".lattice/config.yaml",
      ]
    ) {
      assert.match(first.stdout, new RegExp(`^Created ${path.replace(".", "\\.")}$`, "m"));
      assert.ok(Deno.statSync(`${dir}/${path}`).isFile, path);
    }
    assert.match(await Deno.readTextFile(`${dir}/cluster.yaml`), /version: "1\.33\.0"/);
    assert.ok(Deno.statSync(`${dir}/.git`).isDirectory, "git init ran");
    const again = await run(dir, "init", "--provider", "docker", "--k8s-version", "1.33.0");
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /Created|Updated/);
    assert.match(again.stdout, /^Unchanged cluster\.yaml$/m);
    const other = await run(dir, "init", "--provider", "docker", "--name", "hq");
    assert.equal(other.code, 1);
    assert.match(other.stderr, /already holds a different cluster\.yaml.*nothing was written/);
    const valid = await run(dir, "validate");
    assert.equal(valid.code, 0, valid.stdout);
    const missing = await run(dir, "init");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required option --provider/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init and create work for every provider with its required fields as flags", async () => {
  for (const provider of PROVIDERS) {
    const dir = await Deno.makeTempDir({ prefix: `lattice-cli-${provider}-` });
    try {
      const init = await run(dir, "init", "--provider", provider, ...requiredFlags(provider));
      assert.equal(init.code, 0, `${provider}: ${init.stderr}`);
      for (const child of PROVIDERS) {
        const created = await run(
          dir,
          "cluster",
          "create",
          `c-${child}`,
          "--parent",
          "root",
          "--provider",
          child,
          ...requiredFlags(child),
        );
        assert.equal(created.code, 0, `${provider} → ${child}: ${created.stderr}`);
      }
      const valid = await run(dir, "validate");
      assert.equal(valid.code, 0, `${provider}: ${valid.stdout}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("a missing or misapplied provider flag names the flag and the field, never zod", async () => {
  const dir = await freshRepo();
  try {
    for (const provider of PROVIDERS) {
      const required = PROVIDER_FIELDS.filter((f) => f.provider === provider && f.required);
      const r = await run(
        dir,
        "cluster",
        "create",
        "x",
        "--parent",
        "root",
        "--provider",
        provider,
      );
      if (required.length === 0) {
        assert.equal(r.code, 0, r.stderr);
        await run(dir, "cluster", "delete", "x");
        continue;
      }
      assert.equal(r.code, 1, provider);
      for (const f of required) {
        assert.match(
          r.stderr,
          new RegExp(`--${f.flag} \\(spec\\.provider\\.config\\.${provider}\\.`),
        );
      }
      assert.doesNotMatch(r.stderr, NO_ZOD);
    }
    const wrong = await run(
      dir,
      "cluster",
      "create",
      "g",
      "--parent",
      "root",
      "--provider",
      "gcp",
      ...requiredFlags("gcp"),
      "--template-id",
      "100",
    );
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.stderr,
      /--template-id does not apply to gcp \(it is a setting of proxmox\)/,
    );
    const bad = await run(
      dir,
      "cluster",
      "create",
      "p",
      "--parent",
      "root",
      "--provider",
      "proxmox",
      ...requiredFlags("proxmox").map((v, i, all) =>
        all[i - 1] === "--ipv4-pool-prefix" ? "99" : v
      ),
    );
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /--ipv4-pool-prefix \(spec\.provider\.config\.proxmox\.ipv4Pool\.prefix\): must be at most 32/,
    );
    assert.doesNotMatch(bad.stderr, NO_ZOD);
    const empty = await run(
      dir,
      "cluster",
      "create",
      "a",
      "--parent",
      "root",
      "--provider",
      "aws",
      "--region",
      "",
    );
    assert.match(
      empty.stderr,
      /--region \(spec\.provider\.config\.aws\.region\): must not be empty/,
    );
    const notInt = await run(
      dir,
      "cluster",
      "create",
      "p",
      "--parent",
      "root",
      "--provider",
      "proxmox",
      ...requiredFlags("proxmox").map((v, i, all) => all[i - 1] === "--template-id" ? "abc" : v),
    );
    assert.match(notInt.stderr, /--template-id abc: must be a whole number/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("versions typed with a leading v are stored without it", async () => {
  const dir = await freshRepo();
  try {
    const created = await run(
      dir,
      "cluster",
      "create",
      "w",
      "--parent",
      "root",
      "--k8s-version",
      "v1.33.0",
    );
    assert.equal(created.code, 0, created.stderr);
    const file = `${dir}/children/w/cluster.yaml`;
    assert.match(await Deno.readTextFile(file), /version: "1\.33\.0"/);
    const up = await run(dir, "cluster", "upgrade", "w", "--k8s-version", "v1.34.0");
    assert.equal(up.code, 0, up.stderr);
    assert.match(await Deno.readTextFile(file), /version: "1\.34\.0"/);
    const flux = await run(dir, "flux", "set-version", "v2.7.0");
    assert.equal(flux.code, 0, flux.stderr);
    assert.match(await Deno.readTextFile(`${dir}/.lattice/config.yaml`), /version: "?2\.7\.0"?/);
    assert.doesNotMatch(await Deno.readTextFile(`${dir}/.lattice/config.yaml`), /v2\.7\.0/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("negative numbers get a range error, not node:util's 'ambiguous'", async () => {
  const dir = await freshRepo();
  try {
    await run(dir, "cluster", "create", "w", "--parent", "root");
    for (
      const args of [
        ["cluster", "scale", "w", "--workers", "-1"],
        ["cluster", "scale", "w", "--workers=-1"],
        ["cluster", "scale", "w", "--control-plane-nodes", "-3"],
        ["cluster", "create", "v", "--parent", "root", "--worker-nodes", "-2"],
        ["init", "--provider", "docker", "--workers", "-5"],
      ]
    ) {
      const r = await run(dir, ...args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, /must be a whole number from \d+ to \d+/, args.join(" "));
      assert.doesNotMatch(r.stderr, /ambiguous/);
    }
    const missing = await run(dir, "cluster", "scale", "w", "--workers");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--workers needs a value/);
    const sw = await run(dir, "cluster", "delete", "w", "--recursive=yes");
    assert.equal(sw.code, 2);
    assert.match(sw.stderr, /--recursive is a switch and takes no value/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("even control-plane counts: refused by scale and validate with the operator's rule", async () => {
  const dir = await freshRepo();
  try {
    await run(dir, "cluster", "create", "w", "--parent", "root");
    const scale = await run(dir, "cluster", "scale", "w", "--control-plane-nodes", "2");
    assert.equal(scale.code, 1);
    assert.ok(scale.stderr.includes(ODD_CONTROL_PLANE.message), scale.stderr);
    const file = `${dir}/children/w/cluster.yaml`;
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, text.replace(/controlPlane: \d+/, "controlPlane: 4"));
    const valid = await run(dir, "validate");
    assert.equal(valid.code, 1);
    assert.ok(
      valid.stdout.includes(`children/w/cluster.yaml:`) &&
        valid.stdout.includes(`spec.nodes.controlPlane: ${ODD_CONTROL_PLANE.message}`),
      valid.stdout,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a broken YAML file fails every command, naming the file and line", async () => {
  const dir = await freshRepo();
  try {
    await run(dir, "cluster", "create", "w", "--parent", "root", "--cell");
    await run(dir, "cluster", "create", "leaf", "--parent", "w");
    const commands = [
      ["cluster", "list"],
      ["cluster", "tree"],
      ["cluster", "get", "w"],
      ["cluster", "get", "leaf"],
      ["cluster", "create", "x", "--parent", "root"],
      ["cluster", "scale", "w", "--workers", "3"],
      ["cluster", "upgrade", "w", "--k8s-version", "1.34.0"],
      ["cluster", "delete", "leaf"],
      ["service", "list"],
      ["placement", "list", "--cluster", "leaf"],
      ["flux", "set-version", "2.7.0"],
      ["flux", "suspend", "leaf"],
      ["validate"],
    ];
    const broken: [string, string, RegExp][] = [
      ["children/w/children/leaf/cluster.yaml", "metadata:\n  name: [leaf\n", /:\d+: /],
      ["children/w/cluster.yaml", "spec:\n  nodes: {workers: 2\n", /:\d+: /],
      ["cluster.yaml", "a: b: c\n", /:1: /],
      ["children/kustomization.yaml", "resources:\n  - w/cluster.yaml\n - x\n", /:\d+: /],
      [".lattice/config.yaml", "spec: [\n", /:\d+: /],
    ];
    for (const [path, text, line] of broken) {
      const full = `${dir}/${path}`;
      const before = await Deno.readTextFile(full);
      await Deno.writeTextFile(full, text);
      for (const args of commands) {
        const r = await run(dir, ...args);
        const said = `${r.stdout}\n${r.stderr}`;
        assert.notEqual(r.code, 0, `${path}: lattice ${args.join(" ")} exited 0:\n${said}`);
        assert.ok(said.includes(path), `${path}: lattice ${args.join(" ")}:\n${said}`);
        assert.match(said, line, `${path}: lattice ${args.join(" ")}`);
      }
      assert.equal(await Deno.readTextFile(full), text, "the broken file is left as it was");
      await Deno.writeTextFile(full, before);
    }
    assert.equal((await run(dir, "validate")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("no-op edits print Unchanged and leave the file alone", async () => {
  const dir = await freshRepo();
  try {
    await run(dir, "cluster", "create", "w", "--parent", "root", "--worker-nodes", "3");
    const file = `${dir}/children/w/cluster.yaml`;
    const before = await Deno.stat(file);
    const same = await run(dir, "cluster", "scale", "w", "--workers", "3");
    assert.equal(same.code, 0);
    assert.equal(same.stdout, "Unchanged children/w/cluster.yaml");
    assert.equal((await Deno.stat(file)).mtime?.getTime(), before.mtime?.getTime());
    const changed = await run(dir, "cluster", "scale", "w", "--workers", "4");
    assert.equal(changed.stdout, "Updated children/w/cluster.yaml");
    await run(dir, "flux", "suspend", "w");
    const again = await run(dir, "flux", "suspend", "w");
    assert.match(again.stdout, /^Unchanged children\/w\/cluster\.yaml/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("did you mean: commands, subcommands, flags and cluster names", async () => {
  const dir = await freshRepo();
  try {
    await run(dir, "cluster", "create", "payments-eu", "--parent", "root");
    const cases: [string[], RegExp][] = [
      [["clsuter", "list"], /unknown command: lattice clsuter; did you mean 'cluster'\?/],
      [["cluster", "scael"], /unknown command: lattice cluster scael; did you mean 'scale'\?/],
      [["valdiate"], /did you mean 'validate'\?/],
      [
        ["cluster", "scale", "payments-eu", "--wrokers", "3"],
        /unknown flag --wrokers; did you mean '--workers'\?/,
      ],
      [["cluster", "create", "x", "--parnet", "root"], /did you mean '--parent'\?/],
      [["cluster", "get", "payments-ue"], /did you mean payments-eu\?/],
      [["cluster", "scale", "paymnets-eu", "--workers", "1"], /did you mean payments-eu\?/],
    ];
    for (const [args, message] of cases) {
      const r = await run(dir, ...args);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.stderr, message, args.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** What bash completes for `words` (the last one being completed). */
async function bashComplete(script: string, words: string[], cwd: string): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const program = `${script}\nCOMP_WORDS=(lattice ${quoted}); COMP_CWORD=${words.length}\n` +
    `_lattice; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = await new Deno.Command("bash", { args: ["-c", program], cwd, stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
}

Deno.test("completion: bash completes commands, subcommands and flags; zsh and fish scripts", async () => {
  const root = rootCommand();
  const bash = bashCompletion(root);
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await bashComplete(bash, ["clu"], dir), ["cluster"]);
    assert.deepEqual(await bashComplete(bash, ["cluster", "sc"], dir), ["scale"]);
    const flags = await bashComplete(bash, ["cluster", "create", "x", "--pro"], dir);
    assert.ok(flags.includes("--provider") && flags.includes("--project"), flags.join(" "));
    assert.deepEqual(await bashComplete(bash, ["init", "--subscr"], dir), ["--subscription-id"]);
    assert.deepEqual(await bashComplete(bash, ["completion", "--he"], dir), ["--help"]);
    const syntax = await new Deno.Command("bash", { args: ["-n", "-c", bash] }).output();
    assert.ok(syntax.success);
    const zsh = zshCompletion(root);
    assert.match(zsh, /^#compdef lattice/);
    assert.match(zsh, /bashcompinit/);
    assert.match(zsh, /complete -F _lattice lattice/);
    const fish = fishCompletion(root);
    assert.match(fish, /complete -c lattice -n 'test \(__lattice_path\) = \\'\\'' -a 'cluster'/);
    assert.match(fish, /-n 'test \(__lattice_path\) = \\'cluster create\\'' -l 'parent'/);
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await run(dir, "completion", shell);
      assert.equal(r.code, 0);
      assert.ok(r.stdout.length > 1000, shell);
    }
    const none = await run(dir, "completion", "tcsh");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /bash, zsh or fish \(got tcsh\)/);
    for (const exe of ["zsh", "fish"]) {
      const found = await new Deno.Command("sh", { args: ["-c", `command -v ${exe}`] }).output();
      if (!found.success) continue;
      const check = exe === "zsh" ? ["-n", "-c", zsh] : ["--no-execute", "-c", fish];
      const ok = await new Deno.Command(exe, { args: check, stderr: "piped" }).output();
      assert.ok(ok.success, `${exe}: ${new TextDecoder().decode(ok.stderr)}`);
    }
    const fishFound = await new Deno.Command("sh", { args: ["-c", "command -v fish"] }).output();
    if (fishFound.success) {
      await Deno.writeTextFile(`${dir}/lattice.fish`, fish);
      const complete = async (line: string) => {
        const out = await new Deno.Command("fish", {
          args: ["-c", `source ${dir}/lattice.fish; complete -C'${line}'`],
          stdout: "piped",
        }).output();
        return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split("\t")[0]);
      };
      assert.ok((await complete("lattice clu")).includes("cluster"));
      assert.ok((await complete("lattice cluster sc")).includes("scale"));
      assert.ok((await complete("lattice cluster create x --pro")).includes("--project"));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
