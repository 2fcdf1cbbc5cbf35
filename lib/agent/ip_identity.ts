/**
 * Dialing a cell by IP address. Deno's node:tls refuses an IP as TLS server name, so the
 * channel names a DNS SAN every cell certificate carries ({@link CELL_NAME_OVERRIDE}) for
 * the handshake, and this module then requires the dialled address among the certificate's
 * IP SANs: a certificate of the same CA issued for another address is refused.
 */
import "reflect-metadata";
import { isIP } from "node:net";
import { SubjectAlternativeNameExtension, X509Certificate } from "@peculiar/x509";

/**
 * The DNS name the TLS handshake checks when the cell is dialled by IP. Every cell's
 * serving certificate carries it (lib/operator/cell_role.ts); the IP SAN is checked after.
 */
export const CELL_NAME_OVERRIDE = "localhost";

/** The host part of `host:port` or `[v6]:port`, without brackets. */
export function hostOf(address: string): string {
  return address.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
}

/** `address` in one spelling per address (IPv6 expanded to eight groups), or undefined. */
export function canonicalIp(address: string): string | undefined {
  const kind = isIP(address);
  if (kind === 4) return address.split(".").map((p) => String(Number(p))).join(".");
  if (kind !== 6) return undefined;
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split(".").map(Number);
    text = text.slice(0, -v4[1].length) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16).toString(16)).join(":");
}

/** The IP SANs of a DER certificate, canonical. */
export function certificateIps(der: Uint8Array): string[] {
  const cert = new X509Certificate(der as Uint8Array<ArrayBuffer>);
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((n) => n.type === "ip")
    .map((n) => canonicalIp(n.value)).filter((v): v is string => v !== undefined);
}

/**
 * A `checkServerIdentity` for a channel dialled at `ip`: undefined when the peer's
 * certificate names `ip` among its IP SANs, else the error that fails the handshake.
 */
export function ipIdentityCheck(
  ip: string,
): (name: string, cert: { raw?: Uint8Array }) => Error | undefined {
  const want = canonicalIp(ip);
  return (_name, cert) => {
    if (!want) return new Error(`Cannot verify the cell: ${ip} is not an IP address`);
    if (!cert?.raw) return new Error(`Cannot verify the cell at ${ip}: no certificate`);
    let ips: string[];
    try {
      ips = certificateIps(cert.raw);
    } catch (e) {
      return new Error(`Cannot verify the cell at ${ip}: ${(e as Error).message}`);
    }
    if (ips.includes(want)) return undefined;
    return new Error(
      `Cannot verify the cell at ${ip}: its certificate names ` +
        `${ips.length ? `only ${ips.join(", ")}` : "no IP address"} (set spec.cell.host to ` +
        "the address the cell's certificate carries)",
    );
  };
}
