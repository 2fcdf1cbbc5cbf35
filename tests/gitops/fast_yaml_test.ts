/**
 * The fast reader agrees with the `yaml` package on every text it accepts, and hands
 * everything outside its subset back (undefined) instead of guessing.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseSimpleYaml } from "../../lib/gitops/fast_yaml.ts";
import { baseRepoFiles, CONFIG_YAML, usFiles } from "./fixtures.ts";

function agrees(text: string): boolean {
  const fast = parseSimpleYaml(text);
  if (fast === undefined) return false;
  assert.deepEqual(fast, parse(text), `fast reader differs on:\n${text}`);
  return true;
}

Deno.test("accepts and agrees on every fixture file", () => {
  const texts = Object.values({ ...baseRepoFiles(), ...usFiles() }).filter((t) =>
    !t.startsWith("#")
  );
  for (const text of texts) assert.ok(agrees(text), text);
  assert.ok(agrees(CONFIG_YAML));
});

const accepted = [
  "a: 1\nb: -2\nc: 1.5\nd: 1e3\ne: .5\nf: 1.\n",
  "v: 1.31.0\nw: v2\nx: 5m\ny: '1.31.0'\nz: \"2.2.0\"\n",
  "a: true\nb: False\nc: NULL\nd: ~\ne:\nf: null # none\n",
  "s: it's fine\nq: 'it''s'\nh: a#b\nc: a # comment\n",
  "list:\n- a\n- b\nafter: 1\n",
  "list:\n  - a\n  - 'b c'\n",
  "deep:\n  a:\n    b:\n      c: x\n  d: y\ne: z\n",
  "# leading comment\nkey: value\n\n# between\nother: 2  # trailing\n",
  "empty: []\nmap: {}\nurl: https://example.com/a?b=c\n",
  "path: ./deploy\nneg: -1\nplus: +3\n",
];

for (const text of accepted) {
  Deno.test(`agrees on ${JSON.stringify(text.slice(0, 30))}`, () => {
    assert.ok(agrees(text), "expected the fast reader to accept it");
  });
}

const refused = [
  "a: foo\n  bar\n", // multi-line plain scalar
  "a: 1\na: 2\n", // duplicate key
  "a: [1, 2]\n", // flow sequence
  "a: {b: 1}\n", // flow map
  "a: &x 1\nb: *x\n", // anchors
  "a: |\n  text\n", // block scalar
  "a: 0x1F\n", // hex int
  "a: .inf\n", // special float
  "a:\n\tb: 1\n", // tab
  "---\na: 1\n", // document marker
  "- a\n- b\n", // top-level list
  "just a scalar\n",
  "a:\n    b: 1\n  c: 2\n", // bad indentation
  "a:\n  - b: 1\n", // list of maps
  'a: "esc\\n"\n', // escapes
  "a: 'open\n", // unterminated
  "# only a comment\n",
  '"quoted key": 1\n',
  "a: - b\n", // a list where a scalar is expected
  "a: : b\n",
];

for (const text of refused) {
  Deno.test(`refuses ${JSON.stringify(text.slice(0, 30))}`, () => {
    assert.equal(parseSimpleYaml(text), undefined);
  });
}

Deno.test("agrees with the yaml package on random block documents", () => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const scalars = [
    "1",
    "-1",
    "+2",
    "0",
    "010",
    "1.5",
    "1e3",
    "1.31.0",
    "v1",
    "true",
    "False",
    "null",
    "~",
    "5m",
    "./deploy",
    "a b",
    "a#b",
    "x # c",
    "'q'",
    "'it''s'",
    '"d"',
    '"1"',
    "-x",
    "12:30",
    "https://h/p?q=1",
    "[]",
    "{}",
    "",
    ".5",
    "-.5",
    "0o7",
    "0x1",
    ".nan",
    "-",
    "? x",
  ];
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const block = (depth: number, indent: string): string => {
    const keys = new Set<string>();
    let out = "";
    const n = 1 + Math.floor(random() * 4);
    for (let i = 0; i < n; i++) {
      const key = pick(["a", "b", "c", "name", "spec", "x-y", "k.z"]);
      if (keys.has(key) && random() < 0.8) continue;
      keys.add(key);
      const r = random();
      if (depth < 3 && r < 0.3) out += `${indent}${key}:\n${block(depth + 1, `${indent}  `)}`;
      else if (r < 0.45) {
        const sub = random() < 0.5 ? indent : `${indent}  `;
        out += `${indent}${key}:\n`;
        for (let j = 0; j < 1 + Math.floor(random() * 3); j++) out += `${sub}- ${pick(scalars)}\n`;
      } else if (r < 0.5) out += `${indent}# comment\n`;
      else out += `${indent}${key}: ${pick(scalars)}\n`.replace(/ \n$/, "\n");
    }
    return out || `${indent}k: v\n`;
  };
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    const text = block(0, "");
    let expected: unknown;
    try {
      expected = parse(text);
    } catch {
      assert.equal(parseSimpleYaml(text), undefined, `accepted invalid YAML:\n${text}`);
      continue;
    }
    const fast = parseSimpleYaml(text);
    if (fast === undefined) continue;
    accepted++;
    assert.deepEqual(fast, expected, `differs on:\n${text}`);
  }
  assert.ok(accepted > 300, `only ${accepted} documents accepted`);
});
