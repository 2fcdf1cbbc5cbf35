/**
 * The Kubernetes API proxy: the cell's routes `/clusters/{name}/...` (app.ts), the agent's
 * impersonating executor (executor.ts), and the transports between them — in-process for
 * tests (transport.ts) and over the agent stream (stream_bridge.ts).
 *
 * @module
 */
export {
  type Authenticator,
  type Authorizer,
  type Decision,
  PROXY_PERMISSION,
  type ReviewCacheOptions,
  subjectAccessReviewAuthorizer,
  tokenReviewAuthenticator,
} from "./auth.ts";
export { nestedProxy, proxyApp, type ProxyAppOptions, type ProxyOptions } from "./app.ts";
export {
  DEFAULT_AUTH_FAILURE_RATE,
  DEFAULT_PROXY_RATE,
  peerAddress,
  proxyAuth,
  type ProxyAuthEnv,
  type ProxyAuthOptions,
} from "./middleware.ts";
export { BodyBudget, type BodyBudgetOptions, readLimitedBody } from "./body.ts";
export { filterResponseHeaders, isRelayableStatus, RELAYED_RESPONSE_HEADERS } from "./headers.ts";
export { type NestedProxy, ProxyExecutor, type ProxyExecutorOptions } from "./executor.ts";
export {
  GROUP_HEADER,
  type Identity,
  identityHeaders,
  identityPrefix,
  impersonatedIdentity,
  USER_HEADER,
} from "./identity.ts";
export {
  checkForwardedPath,
  FORWARDED_ROOTS,
  InvalidPathError,
  isDnsLabel,
  isStreamingRequest,
  parseProxyPath,
  type ProxyPath,
} from "./paths.ts";
export {
  type ClusterState,
  ClusterUnavailableError,
  InProcessTransport,
  type InProcessTransportOptions,
  type OpenOptions,
  type ProxiedResponse,
  type ProxyTransport,
  type RequestExecutor,
  ResponseAssembler,
  type ResponseAssemblerOptions,
} from "./transport.ts";
export {
  cancelProxyOnDisconnect,
  proxyHandlers,
  StreamTransport,
  type StreamTransportOptions,
} from "./stream_bridge.ts";
export { proxyKubeconfig, type ProxyKubeconfigOptions, proxyServerUrl } from "./kubeconfig.ts";
