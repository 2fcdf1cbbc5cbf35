import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import {
  LIMIT_HELP,
  LIMIT_OPTIONS,
  limitsFromArgs,
  parseDuration,
  parseSize,
} from "../../lib/cli/commands/operator_limits.ts";
import { CliError } from "../../lib/cli/command.ts";

function parse(args: string[]) {
  return parseArgs({ args, options: LIMIT_OPTIONS, allowPositionals: true });
}

Deno.test("operator limit flags fill the cell's limits; unset flags keep defaults", () => {
  assert.deepEqual(limitsFromArgs(parse([])), {});
  const limits = limitsFromArgs(parse([
    "--max-connections-per-client=16",
    "--tls-handshake-timeout=5s",
    "--idle-timeout=2m",
    "--proxy-rate=20",
    "--auth-failure-burst=3",
    "--proxy-max-body=1Mi",
    "--renewal-window=15d",
  ]));
  assert.deepEqual(limits, {
    connections: { maxConnectionsPerClient: 16, handshakeTimeoutMs: 5_000, idleTimeoutMs: 120_000 },
    proxyRate: { perMinute: 1_200 },
    authFailureRate: { burst: 3 },
    maxBodyBytes: 1 << 20,
    renewalWindowMs: 15 * 86_400_000,
  });
  for (const name of Object.keys(LIMIT_OPTIONS)) assert.ok(LIMIT_HELP[name], name);
});

Deno.test("operator limit flags: upload pacing and the agent port", () => {
  assert.deepEqual(
    limitsFromArgs(parse([
      "--upload-rate=2Mi",
      "--upload-rate-total=8Mi",
      "--agent-max-connections-per-client=32",
      "--agent-establish-timeout=5s",
    ])),
    {
      connections: { uploadBytesPerSecond: 2 << 20, totalUploadBytesPerSecond: 8 << 20 },
      agentPort: { maxConnectionsPerClient: 32, establishTimeoutMs: 5_000 },
    },
  );
});

Deno.test("operator limit flags refuse nonsense, naming the flag", () => {
  assert.equal(parseDuration("x", "500ms"), 500);
  assert.equal(parseSize("x", "64Ki"), 65_536);
  assert.throws(() => parseDuration("idle-timeout", "10"), /invalid --idle-timeout: 10/);
  assert.throws(() => parseSize("proxy-max-body", "-1"), CliError);
  assert.throws(
    () => limitsFromArgs(parse(["--proxy-burst=lots"])),
    /invalid --proxy-burst: lots \(a positive number\)/,
  );
});
