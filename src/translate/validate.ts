/** Syntax checks shared by the stage-A translators. */
import { isIPv6 } from 'node:net';

const label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * A host an Ingress or HTTPProxy may claim: a lower-case DNS-1123 subdomain of at most 253
 * characters, optionally starting with one `*.` wildcard label, and not an IP address.
 */
export function isValidHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const bare = host.startsWith('*.') ? host.slice(2) : host;
  if (bare.length === 0 || isIP(bare)) return false;
  return bare.split('.').every((part) => label.test(part));
}

export function isIP(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/**
 * Dotted-quad IPv4 exactly as `node:net` isIPv4 accepts it: four decimal octets of at most 255,
 * none with a leading zero. Written out because it runs once per endpoint, where the regex showed.
 */
export function isIPv4(text: string): boolean {
  const length = text.length;
  if (length < 7 || length > 15) return false;
  let octets = 0;
  let i = 0;
  while (i < length) {
    const start = i;
    let value = 0;
    while (i < length) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && text.charCodeAt(start) === 48))
      return false;
    octets++;
    if (i === length) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return false;
    i++;
    if (i === length) return false;
  }
  return octets === 4;
}

export { isIPv6 };

/** A literal path usable in Envoy prefix/path matchers: starts with `/`, visible ASCII, no `?` or `#`. */
export function isValidLiteralPath(path: string): boolean {
  return /^\/[\x21-\x7e]*$/.test(path) && !/[?#]/.test(path);
}

const loopbackNames = new Set(['localhost', 'localhost.localdomain', 'local.projectcontour.io']);

/**
 * Why an ExternalName may not be used as an upstream, or undefined when it may. Contour's rule: never
 * localhost names or loopback, link-local or unspecified addresses (GHSA-5ph6-qq5x-7jwc).
 */
export function externalNameProblem(name: string): string | undefined {
  const host = name.endsWith('.') ? name.slice(0, -1).toLowerCase() : name.toLowerCase();
  if (loopbackNames.has(host)) return `"${name}" resolves to the proxy itself`;
  if (isIPv4(host)) {
    if (host.startsWith('127.') || host.startsWith('169.254.') || host === '0.0.0.0') {
      return `"${name}" is a loopback, link-local or unspecified address`;
    }
    return undefined;
  }
  if (isIPv6(host)) {
    const lower = host.toLowerCase();
    if (lower === '::1' || lower === '::' || /^fe[89ab]/.test(lower) || lower.startsWith('::ffff:')) {
      return `"${name}" is a loopback, link-local or unspecified address`;
    }
    return undefined;
  }
  if (!host.split('.').every((part) => label.test(part)) || host.length > 253) {
    return `"${name}" is not a valid DNS name`;
  }
  // A numeric last label is no DNS name; resolvers read forms like 127.1 or 2130706433 as addresses.
  if (/^(\d+|0x[0-9a-f]+)$/.test(host.split('.').at(-1) ?? ''))
    return `"${name}" looks like a numeric address`;
  return undefined;
}
