/**
 * Randomized hierarchies built through the CLI read back as the same model: tree, list,
 * placements and a clean validate, also after random scales and recursive deletes.
 */
import assert from "node:assert/strict";
import { editResources, readResources, renderKustomization } from "../../lib/gitops/mod.ts";
import { baseRepoFiles, lattice, tempRepo } from "./fixtures.ts";

/** A small seeded PRNG (mulberry32) so a failure can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Model {
  name: string;
  parent?: Model;
  cell: boolean;
  workers: number;
  children: Model[];
  placements: string[];
}

type Tree = { name: string; children: Tree[] };
const treeOf = (m: Model): Tree => ({ name: m.name, children: m.children.map(treeOf) });
const stripTree = (t: Tree): Tree => ({ name: t.name, children: t.children.map(stripTree) });
const flatten = (m: Model): Model[] => [m, ...m.children.flatMap(flatten)];

async function run(dir: string, ...args: string[]) {
  const r = await lattice(dir, ...args);
  assert.equal(r.code, 0, `lattice ${args.join(" ")}: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

async function assertMatches(dir: string, root: Model) {
  const tree = JSON.parse(await run(dir, "cluster", "tree", "-o", "json"));
  assert.deepEqual(stripTree(tree), treeOf(root));
  const rows = JSON.parse(await run(dir, "cluster", "list", "-o", "json"));
  assert.deepEqual(
    rows.map((r: { name: string; parent?: string; workers: number; cell: boolean }) => [
      r.name,
      r.parent,
      r.workers,
      r.cell,
    ]),
    flatten(root).map((m) => [m.name, m.parent?.name, m.workers, m.cell]),
  );
  for (const m of flatten(root).filter((m) => m.placements.length > 0)) {
    const placed = JSON.parse(
      await run(dir, "placement", "list", "--cluster", m.name, "-o", "json"),
    );
    assert.deepEqual(placed.map((p: { service: string }) => p.service), m.placements);
  }
  const validate = await lattice(dir, "validate");
  assert.equal(validate.code, 0, validate.stdout);
}

for (const seed of [1, 42, 20261122]) {
  Deno.test(`randomized hierarchy round-trips (seed ${seed})`, async () => {
    const random = prng(seed);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
    const dir = await tempRepo(baseRepoFiles());
    try {
      const root: Model = {
        name: "root",
        cell: true,
        workers: 2,
        children: [],
        placements: [],
      };
      for (let i = 0; i < 18; i++) {
        const parent = pick(flatten(root).filter((m) => m.cell));
        const m: Model = {
          name: `c${i}-${parent.name}`.slice(0, 40),
          parent,
          cell: random() < 0.4,
          workers: Math.floor(random() * 50),
          children: [],
          placements: [],
        };
        const args = ["cluster", "create", m.name, "--parent", parent.name];
        await run(dir, ...args, "--workers", String(m.workers), ...(m.cell ? ["--cell"] : []));
        parent.children.push(m);
      }
      for (let i = 0; i < 8; i++) {
        const m = pick(flatten(root));
        const service = pick(["payments", "orders", "monitoring", "logging"]);
        if (m.placements.includes(service)) continue;
        await run(dir, "placement", "create", service, "--cluster", m.name);
        m.placements.push(service);
      }
      for (let i = 0; i < 5; i++) {
        const m = pick(flatten(root));
        m.workers = Math.floor(random() * 100);
        await run(dir, "cluster", "scale", m.name, "--workers", String(m.workers));
      }
      await assertMatches(dir, root);
      const victim = pick(flatten(root).filter((m) => m.parent));
      await run(dir, "cluster", "delete", victim.name, "--recursive");
      victim.parent!.children = victim.parent!.children.filter((c) => c !== victim);
      await assertMatches(dir, root);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("kustomization resources round-trip through render, read and edit", () => {
  const random = prng(7);
  for (let i = 0; i < 200; i++) {
    const list = Array.from({ length: Math.floor(random() * 6) }, (_, j) => `r${j}-${i}.yaml`);
    const text = renderKustomization(list);
    assert.deepEqual(readResources(text).resources, list);
    const commented = `# top\n${text}# bottom\n`;
    assert.deepEqual(readResources(commented).resources, list);
    const added = editResources(commented, { add: ["new.yaml"] })!;
    assert.deepEqual(readResources(added).resources, [...list, "new.yaml"]);
    assert.match(added, /^# top\n/);
    const removed = editResources(added, { remove: ["new.yaml"] })!;
    assert.deepEqual(readResources(removed).resources, list);
    assert.equal(editResources(text, { remove: ["absent.yaml"] }), undefined);
  }
});
