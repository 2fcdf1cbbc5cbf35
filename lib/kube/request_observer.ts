/**
 * Where KubeClient reports each request's outcome (client-go's rest_client_* metrics).
 * The process's metrics register one observer; without one, nothing is recorded.
 */

/** One finished request: method, API server host, status code ("<error>" when none). */
export interface RequestOutcome {
  method: string;
  host: string;
  code: string;
  seconds: number;
}

const observers = new Set<(outcome: RequestOutcome) => void>();

/** Adds an observer of every KubeClient request; returns its removal. */
export function observeKubeRequests(observer: (outcome: RequestOutcome) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** Reports a request (KubeClient calls this). */
export function reportKubeRequest(outcome: RequestOutcome): void {
  for (const observer of observers) observer(outcome);
}
