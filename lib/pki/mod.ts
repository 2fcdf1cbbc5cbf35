/**
 * Lattice PKI: each cell's own CA (ECDSA P-256, SHA-256), server certificates for the
 * cell's endpoints, and agents' client certificates issued from CSRs whose identity is the
 * cluster name; the CA kept in a Secret; one-time bootstrap tokens stored as SHA-256.
 * Certificates are built by @peculiar/x509; keys, signatures and digests come from
 * WebCrypto. See docs/security.md.
 *
 * @module
 */
export * from "./algorithms.ts";
export * from "./ca.ts";
export * from "./csr.ts";
export * from "./inspect.ts";
export * from "./keys.ts";
export * from "./ca_store.ts";
export * from "./tokens.ts";
export * from "./token_secrets.ts";
