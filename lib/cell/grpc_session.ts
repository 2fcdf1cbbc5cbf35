/**
 * One agent stream on the cell: proves the peer's identity, then hands the stream to the
 * registry. Nothing is sent before the first message's cluster_name matched the client
 * certificate, so a stolen or mis-issued certificate never sees a command.
 */
import { Metadata, type ServerDuplexStream, status } from "@grpc/grpc-js";
import { certificateNotAfter } from "../pki/mod.ts";
import { derToPem, type PeerCertificateFields, peerIdentity } from "./peer_identity.ts";
import type { Logger } from "../log/mod.ts";
import type { AgentMessage, CellCommand } from "../proto/lattice/agent/v1/agent.ts";
import type { AgentRegistry, AgentSession } from "./registry.ts";
import { type AdmissionPacer, type AdmissionSlot, RETRY_AFTER_MS_KEY } from "./admission_pacer.ts";

/** Signs an agent's renewal CSR for `identity`; returns the certificate PEM. */
export type CsrSigner = (identity: string, csrPem: string) => Promise<string>;

/**
 * Whether the certificate `certPem` (already verified, of cluster `identity`) may act for
 * its cluster: undefined admits it, a reason refuses it.
 */
export type AgentAdmission = (identity: string, certPem: string) => Promise<string | undefined>;

/** An admitted, open stream (re-admitted periodically by the server). */
export interface LiveStream {
  identity: string;
  certPem: string;
  close(reason: string): void;
}

/** What a stream handler needs from its server. */
export interface StreamContext {
  registry: AgentRegistry;
  signCsr: CsrSigner;
  logger: Logger;
  /** Time allowed for the first message; default 30 s. */
  helloTimeoutMs: number;
  now: () => number;
  /** Checked at connect and before each renewal; absent admits every certificate. */
  admit?: AgentAdmission;
  /** Renewals are accepted only when the stream's certificate expires within this. */
  renewalWindowMs: number;
  /** Least time between two renewals of one cluster. */
  renewalIntervalMs: number;
  /** When each cluster last renewed (shared by the server's streams). */
  lastRenewal: Map<string, number>;
  /** Open, admitted streams. */
  live: Set<LiveStream>;
  /** Bounds streams being admitted at once and per second; absent, none are. */
  pacer?: AdmissionPacer;
}

type AgentCall = ServerDuplexStream<AgentMessage, CellCommand>;

/** The client certificate of a call as PEM, or undefined without one. */
export function peerCertificatePem(call: AgentCall): string | undefined {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (!raw || raw.length === 0) return undefined;
  return derToPem(raw);
}

/** Ends `call` with a gRPC status (and no command ever sent). */
function refuse(call: AgentCall, code: status, details: string): void {
  call.emit("error", { code, details });
}

/**
 * Refuses `call` for now with RESOURCE_EXHAUSTED and the retry hint (in the details and as
 * the `lattice-retry-after-ms` trailer the agent reads).
 */
function refuseForNow(call: AgentCall, retryAfterMs: number, reason: string): void {
  const metadata = new Metadata();
  metadata.set(RETRY_AFTER_MS_KEY, String(retryAfterMs));
  call.emit("error", {
    code: status.RESOURCE_EXHAUSTED,
    details: `Cannot accept stream now: ${reason}; retry in ${retryAfterMs} ms`,
    metadata,
  });
}

/** Serves one Connect stream until either side ends it. */
export function handleAgentStream(call: AgentCall, ctx: StreamContext): void {
  // Paced before anything costs: the certificate parse, the admission check, the session.
  const decision = ctx.pacer?.acquire();
  if (decision && !decision.granted) {
    refuseForNow(call, decision.retryAfterMs, decision.reason);
    return;
  }
  const slot: AdmissionSlot = decision?.slot ?? { release: () => {} };
  const log = ctx.logger.child({ peer: call.getPeer() });
  let identity: string;
  let certPem: string;
  try {
    const peer = peerIdentity(
      call.getAuthContext()?.sslPeerCertificate as PeerCertificateFields | undefined,
    );
    certPem = peer.certPem;
    identity = peer.identity;
    // The TLS layer checks validity too; this keeps the rule explicit and testable.
    if (peer.notAfter.getTime() <= ctx.now()) throw new Error("certificate expired");
  } catch (error) {
    log.warn("Refusing agent stream: bad client certificate", { error });
    slot.release();
    refuse(call, status.UNAUTHENTICATED, `Cannot accept stream: ${(error as Error).message}`);
    return;
  }

  // Nothing is read from the stream until the certificate is admitted: the messages wait.
  const early = (error: Error) => log.debug("Agent stream ended before admission", { error });
  call.on("error", early);
  const admitted = ctx.admit ? ctx.admit(identity, certPem) : Promise.resolve(undefined);
  admitted.then(
    (reason) => {
      call.off("error", early);
      if (reason) {
        slot.release();
        log.warn("Refusing agent stream: certificate not admitted", { identity, reason });
        refuse(call, status.PERMISSION_DENIED, `Cannot accept stream: ${reason}`);
        return;
      }
      if (!call.cancelled) serveAdmitted(call, identity, certPem, ctx, log, slot);
      else slot.release();
    },
    (error: Error) => {
      call.off("error", early);
      slot.release();
      log.warn("Refusing agent stream: cannot check admission", { error });
      refuse(call, status.UNAVAILABLE, "Cannot accept stream: the cell cannot check it now");
    },
  );
}

function serveAdmitted(
  call: AgentCall,
  identity: string,
  certPem: string,
  ctx: StreamContext,
  log: Logger,
  slot: AdmissionSlot,
): void {
  let session: AgentSession | undefined;
  let closed = false;
  const live: LiveStream = {
    identity,
    certPem,
    close: (reason) => close(reason, status.PERMISSION_DENIED),
  };
  ctx.live.add(live);
  const close = (reason: string, code: status = status.UNAVAILABLE) => {
    if (closed) return;
    closed = true;
    slot.release();
    ctx.live.delete(live);
    clearTimeout(hello);
    if (session) ctx.registry.detach(session, reason);
    if (code === status.OK) call.end();
    else refuse(call, code, reason);
  };

  const hello = setTimeout(() => {
    close("Cannot accept stream: no message from the agent", status.DEADLINE_EXCEEDED);
  }, ctx.helloTimeoutMs);

  call.on("data", (message: AgentMessage) => {
    if (closed) return;
    if (message.clusterName !== identity) {
      log.warn("Refusing agent stream: cluster name differs from certificate", {
        identity,
        clusterName: message.clusterName,
      });
      close(
        `Cannot accept stream: cluster_name ${
          JSON.stringify(message.clusterName)
        } is not the certificate identity`,
        status.PERMISSION_DENIED,
      );
      return;
    }
    if (!session) {
      clearTimeout(hello);
      session = ctx.registry.attach(identity, {
        write: (command) => {
          if (!closed && call.writable) call.write(command);
        },
        ready: () => drained(call, () => closed),
        writeFlushed: (command) =>
          new Promise<void>((resolve) => {
            if (closed || !call.writable) return resolve();
            // Called once written out, or with an error when the stream is destroyed first.
            call.write(command, () => resolve());
          }),
        close: (reason) => close(reason, status.ABORTED),
      });
      // Attached: the stream no longer counts as being admitted.
      slot.release();
    }
    if (message.payload?.$case === "certificateRenewal") {
      renew(call, identity, certPem, message.payload.value, ctx, log);
    }
    ctx.registry.receive(session, message);
  });
  // A malformed or oversized frame fails only this call: grpc-js reports it here.
  call.on("error", (error: Error) => {
    // The cell closing its own streams on shutdown, or the agent cancelling its stream (it
    // stops or reconnects), is not a failure of the stream.
    const { code, details } = error as { code?: number; details?: unknown };
    const ended = code === status.CANCELLED ||
      /Cell shutting down|stream cancelled/.test(String(details));
    (ended ? log.info : log.warn).call(log, "Agent stream failed", { error });
    close(`stream error: ${error.message}`);
  });
  call.on("end", () => close("agent ended the stream", status.OK));
  call.on("cancelled", () => close("stream cancelled"));
}

/** Why a renewal is refused now, if it is. */
async function renewalRefusal(
  identity: string,
  certPem: string,
  ctx: StreamContext,
): Promise<string | undefined> {
  const reason = await ctx.admit?.(identity, certPem);
  if (reason) return reason;
  const now = ctx.now();
  const left = certificateNotAfter(certPem).getTime() - now;
  if (left > ctx.renewalWindowMs) {
    const days = (ms: number) => `${Math.floor(ms / 86_400_000)} days`;
    return `not due: the certificate expires in ${days(left)}, renewals are accepted in ` +
      `its last ${days(ctx.renewalWindowMs)}`;
  }
  const last = ctx.lastRenewal.get(identity);
  if (last !== undefined && now - last < ctx.renewalIntervalMs) {
    return `too frequent: retry in ${Math.ceil((ctx.renewalIntervalMs - (now - last)) / 1000)} s`;
  }
  ctx.lastRenewal.set(identity, now);
  return undefined;
}

function renew(
  call: AgentCall,
  identity: string,
  certPem: string,
  request: { requestId: string; csrPem: string },
  ctx: StreamContext,
  log: Logger,
): void {
  renewalRefusal(identity, certPem, ctx).then((refusal) => {
    if (refusal) throw new Error(refusal);
    return ctx.signCsr(identity, request.csrPem);
  }).then(
    (certificatePem) => ({ certificatePem, error: "" }),
    (error: Error) => {
      log.warn("Cannot renew agent certificate", { error });
      return { certificatePem: "", error: `Cannot renew certificate: ${error.message}` };
    },
  ).then((answer) => {
    if (!call.writable) return;
    log.info("Answered certificate renewal", { cluster: identity, ok: !answer.error });
    call.write({
      command: { $case: "certificateRenewal", value: { requestId: request.requestId, ...answer } },
      commandId: "",
    });
  });
}

const DRAIN_ENDS = ["drain", "close", "finish", "error", "cancelled"];

/** Resolves when `call` can take more writes: its buffer drained, or it ended. */
function drained(call: AgentCall, isClosed: () => boolean): Promise<void> {
  if (isClosed() || !call.writable || !call.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      for (const event of DRAIN_ENDS) call.off(event, done);
      resolve();
    };
    for (const event of DRAIN_ENDS) call.on(event, done);
  });
}
