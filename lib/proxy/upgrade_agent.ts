/**
 * The agent's side of an upgraded proxied connection: the same WebSocket upgrade is opened
 * to the child's apiserver — impersonating the caller, one `Impersonate-Group` line per
 * group — and its messages are relayed over the stream (upgrade.ts). A nested hop hands
 * the upgrade to this cell's own proxy and bridges the two relays.
 */
import { Buffer } from "node:buffer";
import type { KubeClient } from "../kube/mod.ts";
import { openUpgrade } from "../kube/upgrade.ts";
import type { KubernetesRequest, KubernetesResponse } from "../proto/lattice/agent/v1/agent.ts";
import { filterResponseHeaders } from "./headers.ts";
import type { Identity } from "./identity.ts";
import { bridgeRelays, pumpTlsWebSocket, type RelayTable, type UpgradeAnswer } from "./upgrade.ts";
import { acceptKey, newKey } from "./ws_codec.ts";

/** Opens an upgrade on this cell's own child (the next hop). */
export type NestedUpgrade = (
  identity: Identity,
  request: KubernetesRequest,
  signal: AbortSignal,
) => Promise<UpgradeAnswer>;

/** What {@linkcode runUpgrade} needs from the executor. */
export interface UpgradeContext {
  client: KubeClient;
  relays: RelayTable;
  identity: Identity;
  /** Caller headers forwarded to the apiserver (accept, kubectl-command...). */
  headers: [string, string][];
  nested?: NestedUpgrade;
  signal: AbortSignal;
}

/** Headers of a 101 the caller may see. */
function upgradeHeaders(headers: Record<string, string>): Record<string, string> {
  const out = filterResponseHeaders(headers);
  const protocol = headers["sec-websocket-protocol"];
  if (protocol) out["sec-websocket-protocol"] = protocol;
  return out;
}

function head(
  requestId: string,
  status: number,
  headers: Record<string, string>,
  body: Uint8Array = new Uint8Array(),
): KubernetesResponse {
  return {
    requestId,
    status,
    headers,
    body: Buffer.from(body.buffer, body.byteOffset, body.length),
    endOfStream: true,
  };
}

/**
 * Runs one upgrade: sends the head (101, or the apiserver's refusal) with `send`, and relays
 * the connection's messages with `stream` until either side closes.
 */
export async function runUpgrade(
  request: KubernetesRequest,
  path: string,
  ctx: UpgradeContext,
  send: (frame: KubernetesResponse) => void,
  stream: Parameters<RelayTable["open"]>[2],
): Promise<void> {
  const id = request.requestId;
  const up = ctx.relays.open(id, "", stream);
  ctx.signal.addEventListener("abort", () => up.relay.abort(1011, "cancelled"), { once: true });
  if (path.startsWith("/clusters/")) {
    if (!ctx.nested) {
      up.relay.abort(1011, "not a cell");
      send(head(id, 404, { "content-type": "application/json" }));
      return;
    }
    const answer = await ctx.nested(ctx.identity, request, ctx.signal);
    if (answer.status !== 101 || !answer.relay) {
      up.relay.abort(1011, "refused");
      send(head(id, answer.status, filterResponseHeaders(answer.headers), answer.body));
      return;
    }
    send(head(id, 101, upgradeHeaders(answer.headers)));
    bridgeRelays(up, { relay: answer.relay, attach: answer.attach });
    return;
  }
  const key = newKey();
  const lines: [string, string][] = [
    ["Connection", "Upgrade"],
    ["Upgrade", "websocket"],
    ["Sec-WebSocket-Version", "13"],
    ["Sec-WebSocket-Key", key],
    ["User-Agent", "lattice-agent"],
    ...ctx.headers,
  ];
  const protocol = request.headers["sec-websocket-protocol"];
  if (protocol) lines.push(["Sec-WebSocket-Protocol", protocol]);
  lines.push(["Impersonate-User", ctx.identity.user]);
  for (const group of ctx.identity.groups) lines.push(["Impersonate-Group", group]);
  let answer;
  try {
    answer = await openUpgrade(ctx.client.connection, {
      method: "GET",
      path: request.path,
      headers: lines,
      signal: ctx.signal,
    });
  } catch (error) {
    up.relay.abort(1011, "upgrade failed");
    throw error;
  }
  if (answer.status !== 101 || !answer.conn) {
    up.relay.abort(1011, "refused");
    send(head(id, answer.status, filterResponseHeaders(answer.headers), answer.rest));
    return;
  }
  if (answer.headers["sec-websocket-accept"] !== await acceptKey(key)) {
    answer.conn.close();
    up.relay.abort(1011, "bad accept");
    throw new Error("Cannot upgrade: the apiserver's Sec-WebSocket-Accept does not match");
  }
  send(head(id, 101, upgradeHeaders(answer.headers)));
  await pumpTlsWebSocket(answer.conn, answer.rest, up.relay, up.sink);
}
