import assert from "node:assert/strict";
import { createLogger, loggerFromEnv } from "../../lib/log/mod.ts";

const now = () => new Date("2026-01-01T00:00:00Z");

Deno.test("json lines carry child fields and respect the level", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", sink: (l) => lines.push(l), now }).child({
    key: "a/b",
  });
  log.debug("hidden");
  log.info("Creating cluster", { n: 1, err: new Error("boom") });
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]), {
    time: "2026-01-01T00:00:00.000Z",
    level: "info",
    msg: "Creating cluster",
    key: "a/b",
    n: 1,
    err: { message: "boom", name: "Error" },
  });
});

Deno.test("text format is readable", () => {
  const lines: string[] = [];
  const log = createLogger({ format: "text", sink: (l) => lines.push(l), now });
  log.warn("slow", { path: "/a b", ok: true });
  assert.equal(lines[0], '2026-01-01T00:00:00.000Z WARN  slow path="/a b" ok=true');
});

Deno.test("loggerFromEnv reads LATTICE_LOG", () => {
  const log = loggerFromEnv({ LATTICE_LOG: "debug" }, false);
  assert.equal(typeof log.debug, "function");
});
