/**
 * `lattice validate [PATH]`: the whole repository, one folder of it, or one file, as
 * ✓/✗ lines (or JSON for CI); exit 0 when valid, 1 otherwise — usable as a pre-commit hook.
 */
import { CliError, type Command, EXIT_USAGE, stringOption } from "../../cli/command.ts";
import { committedDocuments } from "../committed.ts";
import { exists, findRepoRoot, resolve } from "../fs.ts";
import { formatIssue, type IssueKind, type ValidationIssue } from "../issues.ts";
import { loadRepo, type Repo } from "../repo.ts";
import { type FileReport, validateRepo, type ValidationReport } from "../validate.ts";
import { gitopsCommand, REPO_HELP, REPO_OPTION } from "./_common.ts";

/** One ✓/✗ line group: a title shown when it passes, the issues when it does not. */
interface Line {
  title: string;
  issues: ValidationIssue[];
}

function wholeRepoLines(report: ValidationReport, within?: string): Line[] {
  const inScope = (path: string) => within === undefined || path.startsWith(within);
  return [
    ...report.files.filter((f) => inScope(f.path)).map((f) => ({
      title: `${f.path} valid`,
      issues: f.issues,
    })),
    ...report.checks.map((c) => ({
      title: c.title,
      issues: c.issues.filter((i) => inScope(i.file)),
    })),
  ];
}

function fileLines(repo: Repo, report: ValidationReport, path: string): Line[] {
  const file = report.files.find((f) => f.path === path);
  const all = [...(file?.issues ?? []), ...report.checks.flatMap((c) => c.issues)]
    .filter((i) => i.file === path);
  const of = (...kinds: IssueKind[]) => all.filter((i) => kinds.includes(i.kind));
  if (!file) return [{ title: "Resources consistent", issues: of("kustomization", "syntax") }];
  const schema = { title: "Schema valid", issues: of("syntax", "schema", "flux") };
  return ({
    cluster: () => [
      schema,
      { title: parentTitle(repo, file), issues: of("parent", "cycle") },
      { title: "Provider config valid", issues: of("provider") },
      { title: "K8s version supported", issues: of("k8s") },
    ],
    registration: () => [schema],
    placement: () => {
      const ref = (repo.clusters.flatMap((c) => c.placements).find((p) => p.path === path)
        ?.value as { spec?: { serviceRef?: unknown } } | undefined)?.spec?.serviceRef;
      return [schema, { title: `Service '${String(ref)}' is registered`, issues: of("placement") }];
    },
    service: () => [schema, { title: "Dependencies agreed by both sides", issues: of("mesh") }],
    config: () => [schema],
  })[file.kind]();
}

function parentTitle(repo: Repo, file: FileReport): string {
  const cluster = repo.clusters.find((c) => c.file?.path === file.path);
  const parent = cluster?.node.parent;
  return parent ? `Parent '${parent.name}' exists` : "Root cluster (no parent)";
}

/** `lattice validate`. */
export const validateCommand: Command = gitopsCommand({
  name: "validate",
  summary: "Validate the cluster repository (schemas, hierarchy, kustomizations)",
  usage: "lattice validate [PATH] [--output text|json]",
  description: "Exits 0 when everything is valid and 1 otherwise, so it works as a git " +
    "pre-commit hook. PATH narrows the report to one file or folder.",
  options: { ...REPO_OPTION, output: { type: "string", short: "o" } },
  optionHelp: { ...REPO_HELP, output: "text (default) or json" },
  run(args, ctx) {
    const format = stringOption(args, "output") ?? "text";
    if (format !== "text" && format !== "json") {
      throw new CliError(`unknown --output ${format} (text or json)`, EXIT_USAGE);
    }
    if (args.positionals.length > 1) throw new CliError("expected at most one PATH", EXIT_USAGE);
    const target = args.positionals[0] === undefined
      ? undefined
      : resolve(ctx.cwd, args.positionals[0]);
    if (target !== undefined && !exists(target)) {
      throw new CliError(`Cannot validate ${args.positionals[0]}: no such file or folder`);
    }
    const repoDir = stringOption(args, "repo");
    // Without --repo, the repository is the one holding PATH (or the working directory).
    const root = findRepoRoot(repoDir === undefined && target ? target : ctx.cwd, {
      repo: repoDir,
    });
    const repo = loadRepo(root);
    const clusterFiles = repo.clusters.flatMap((c) => c.file ? [c.file.path] : []);
    const report = validateRepo(repo, { committed: committedDocuments(root, clusterFiles) });
    let lines: Line[];
    if (target === undefined || target === root) lines = wholeRepoLines(report);
    else if (!target.startsWith(`${root}/`)) {
      throw new CliError(`Cannot validate ${target}: it is outside the repository ${root}`);
    } else {
      const rel = target.slice(root.length + 1);
      lines = Deno.statSync(target).isDirectory
        ? wholeRepoLines(report, `${rel}/`)
        : fileLines(repo, report, rel);
    }
    const issues = lines.flatMap((l) => l.issues);
    if (format === "json") {
      ctx.stdout(JSON.stringify(
        {
          valid: issues.length === 0,
          checks: lines.map((l) => ({ name: l.title, valid: l.issues.length === 0 })),
          errors: issues,
        },
        null,
        2,
      ));
    } else {
      for (const line of lines) {
        if (line.issues.length === 0) ctx.stdout(`✓ ${line.title}`);
        for (const issue of line.issues) ctx.stdout(`✗ ${formatIssue(issue)}`);
      }
      if (issues.length > 0) {
        ctx.stdout(`${issues.length} ${issues.length === 1 ? "error" : "errors"} found`);
      }
    }
    return issues.length === 0 ? 0 : 1;
  },
});
