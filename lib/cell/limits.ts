/**
 * Every bound the cell puts on what a client can make it hold or do, in one place: the
 * operator's flags fill it (lib/cli/commands/operator_limits.ts) and docs/security.md
 * ("What we defend against") lists it. Absent fields take the defaults of the component
 * that enforces them.
 */
import type { ConnectionLimits } from "./guard_limits.ts";
import type { AgentPortLimits } from "./tcp_front.ts";
import type { RateLimiterOptions } from "./webhook_rate_limit.ts";
import type { AdmissionPacingOptions } from "./admission_pacer.ts";

/** The cell's limits; every field is optional. */
export interface CellLimits {
  /** HTTPS connection caps, timeouts and upload pacing (guard_limits.ts). */
  connections?: ConnectionLimits;
  /** Agent port connection caps, rate and establish timeout (tcp_front.ts). */
  agentPort?: AgentPortLimits;
  /** Proxy: per-client request rate (default bursts of 400, 100/s). */
  proxyRate?: RateLimiterOptions;
  /** Proxy: per-client rate of requests with an invalid token (default 20, then 1/s). */
  authFailureRate?: RateLimiterOptions;
  /** Proxy: largest request body (default 4 MiB). */
  maxBodyBytes?: number;
  /** Proxy: bytes of request bodies held at once by all requests (default 32 MiB). */
  bodyBudgetBytes?: number;
  /** Webhook: per-client request rate (default 10, then 10/min). */
  webhookRate?: RateLimiterOptions;
  /** Agents: renewals accepted only this close to expiry (default 15 days). */
  renewalWindowMs?: number;
  /** Agents: least time between two renewals of one cluster (default 1 h). */
  renewalIntervalMs?: number;
  /** Agents: how often open streams are checked again against living clusters (30 s). */
  admissionRecheckMs?: number;
  /** Agents: streams admitted at once (256) and per second (1,000); over it, a retry hint. */
  agentAdmission?: AdmissionPacingOptions;
}
