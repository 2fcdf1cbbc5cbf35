/**
 * The operator's flags for the cell's limits (lib/cell/limits.ts): connection caps and
 * timeouts of the HTTPS server, proxy rates and body sizes, webhook rate, certificate
 * renewal bounds. Durations take a unit (`500ms`, `10s`, `2m`, `1h`, `15d`), sizes an
 * optional binary suffix (`64Ki`, `4Mi`, `1Gi`). Unset flags keep the defaults listed in
 * docs/security.md ("What we defend against").
 */
import type { ParseArgsOptionsConfig } from "node:util";
import type { CellLimits } from "../../cell/limits.ts";
import { CliError, EXIT_USAGE, type ParsedArgs, stringOption } from "../command.ts";

/** The flags, for the command's `options`. */
export const LIMIT_OPTIONS: ParseArgsOptionsConfig = Object.fromEntries(
  [
    "max-connections",
    "max-connections-per-client",
    "tls-handshake-timeout",
    "header-timeout",
    "idle-timeout",
    "connection-rate",
    "connection-burst",
    "upload-rate",
    "upload-rate-total",
    "agent-max-connections-per-client",
    "agent-establish-timeout",
    "proxy-rate",
    "proxy-burst",
    "auth-failure-rate",
    "auth-failure-burst",
    "proxy-max-body",
    "proxy-body-budget",
    "webhook-rate",
    "webhook-burst",
    "renewal-window",
    "renewal-interval",
  ].map((name) => [name, { type: "string" as const }]),
);

/** Help of each flag. */
export const LIMIT_HELP: Record<string, string> = {
  "max-connections": "HTTPS connections open at once, all clients (default 4096)",
  "max-connections-per-client": "HTTPS connections open at once per client address (default 128)",
  "tls-handshake-timeout": "Time to finish a TLS handshake (default 10s)",
  "header-timeout": "Time to send a request's head once begun (default 15s)",
  "idle-timeout": "Time a connection may idle between requests (default 120s)",
  "connection-rate": "New HTTPS connections per second per client address, sustained (default 5)",
  "connection-burst": "New HTTPS connections per client address at once (default 50)",
  "upload-rate": "Bytes a client address may upload per second (default 2Mi)",
  "upload-rate-total": "Bytes per second all heavy uploaders share (default 8Mi)",
  "agent-max-connections-per-client":
    "Agent-port connections open at once per client address (default 256)",
  "agent-establish-timeout": "Time a new agent connection has to open its stream (default 10s)",
  "proxy-rate": "Proxy requests per second per client, sustained (default 100)",
  "proxy-burst": "Proxy requests per client at once (default 400)",
  "auth-failure-rate": "Proxy requests with an invalid token per second per client (default 1)",
  "auth-failure-burst": "Proxy requests with an invalid token per client at once (default 20)",
  "proxy-max-body": "Largest proxied request body (default 4Mi)",
  "proxy-body-budget": "Bytes of proxied request bodies held at once, all clients (default 32Mi)",
  "webhook-rate": "Webhook requests per minute per client, sustained (default 10)",
  "webhook-burst": "Webhook requests per client at once (default 10)",
  "renewal-window": "Agent certificates renew only this close to expiry (default 15d)",
  "renewal-interval": "Least time between two renewals of one cluster (default 1h)",
};

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZES: Record<string, number> = { "": 1, Ki: 1 << 10, Mi: 1 << 20, Gi: 1 << 30 };

/** `10s` → 10000; throws a usage error naming the flag otherwise. */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new CliError(
      `invalid --${flag}: ${text} (a positive duration such as 500ms, 10s, 2m, 1h, 15d)`,
      EXIT_USAGE,
    );
  }
  return Math.round(Number(match[1]) * UNITS[match[2]]);
}

/** `4Mi` → 4194304; throws a usage error naming the flag otherwise. */
export function parseSize(flag: string, text: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new CliError(
      `invalid --${flag}: ${text} (a positive size in bytes, or with Ki, Mi, Gi)`,
      EXIT_USAGE,
    );
  }
  return Number(match[1]) * SIZES[match[2] ?? ""];
}

function parseCount(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new CliError(`invalid --${flag}: ${text} (a positive number)`, EXIT_USAGE);
  }
  return value;
}

/** The limits the flags set; fields of unset flags are absent (their defaults apply). */
export function limitsFromArgs(args: ParsedArgs): CellLimits {
  const get = <T>(flag: string, parse: (flag: string, text: string) => T): T | undefined => {
    const text = stringOption(args, flag);
    return text === undefined ? undefined : parse(flag, text);
  };
  const perSecond = (flag: string, text: string) => parseCount(flag, text) * 60;
  const prune = <T extends object>(o: T): T | undefined => {
    const kept = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    return Object.keys(kept).length > 0 ? kept as T : undefined;
  };
  return prune<CellLimits>({
    connections: prune({
      maxConnections: get("max-connections", parseCount),
      maxConnectionsPerClient: get("max-connections-per-client", parseCount),
      handshakeTimeoutMs: get("tls-handshake-timeout", parseDuration),
      headerTimeoutMs: get("header-timeout", parseDuration),
      idleTimeoutMs: get("idle-timeout", parseDuration),
      connectionRate: prune({
        perMinute: get("connection-rate", perSecond),
        burst: get("connection-burst", parseCount),
      }),
      uploadBytesPerSecond: get("upload-rate", parseSize),
      totalUploadBytesPerSecond: get("upload-rate-total", parseSize),
    }),
    agentPort: prune({
      maxConnectionsPerClient: get("agent-max-connections-per-client", parseCount),
      establishTimeoutMs: get("agent-establish-timeout", parseDuration),
    }),
    proxyRate: prune({
      perMinute: get("proxy-rate", perSecond),
      burst: get("proxy-burst", parseCount),
    }),
    authFailureRate: prune({
      perMinute: get("auth-failure-rate", perSecond),
      burst: get("auth-failure-burst", parseCount),
    }),
    maxBodyBytes: get("proxy-max-body", parseSize),
    bodyBudgetBytes: get("proxy-body-budget", parseSize),
    webhookRate: prune({
      perMinute: get("webhook-rate", parseCount),
      burst: get("webhook-burst", parseCount),
    }),
    renewalWindowMs: get("renewal-window", parseDuration),
    renewalIntervalMs: get("renewal-interval", parseDuration),
  }) ?? {};
}
