/**
 * The small closed vocabularies the realistic snapshots draw names from. Keeping them small makes
 * references hit (an Ingress names a Service that exists, a TLS entry a Secret that exists) often
 * enough, while still producing every kind of miss. Hostile objects never use these names.
 */

export const namespaces = ['default', 'shop', 'blog'] as const;
export const serviceNames = ['web', 'api', 'grpc', 'ws'] as const;
export const ingressNames = ['site', 'api', 'admin'] as const;
export const sliceSuffixes = ['abc12', 'xyz89'] as const;
export const ingressClassNames = ['contour', 'nginx', 'custom'] as const;
export const delegationName = 'delegation';

/** Service port number → the port name a realistic Service gives it. */
export const servicePorts = [
  { port: 80, name: 'http', targetPort: 8080 },
  { port: 443, name: 'https', targetPort: 8443 },
  { port: 8080, name: 'http-alt', targetPort: 8081 },
  { port: 9000, name: 'grpc', targetPort: 9090 },
] as const;

/** Host names used by rules and TLS entries; two are wildcards. */
export const hosts = ['shop.example.com', '*.example.com', 'api.example.org', 'www.example.org'] as const;

export const secretKinds = [
  'shop-tls',
  'wildcard-tls',
  'ec-tls',
  'noname-tls',
  'broken-tls',
  'mismatch-tls',
  'opaque-tls',
  'generic',
] as const;
export type SecretKind = (typeof secretKinds)[number];

/** Valid IPv4/IPv6 addresses, with one invalid address each at the end. */
export const ipv4Addresses = ['10.0.0.1', '10.0.0.2', '10.0.1.7', '192.168.0.10', '10.0.0.256'] as const;
export const ipv6Addresses = ['fd00::1', 'fd00::2', '2001:db8::7', 'fd00::1:0:0:1', 'fd00::zz'] as const;
export const zones = ['zone-a', 'zone-b'] as const;

/** Every name a realistic object can have or refer to (hostile objects must avoid all of them). */
export const realisticNames: ReadonlySet<string> = new Set<string>([
  ...namespaces,
  ...serviceNames,
  ...ingressNames,
  ...ingressClassNames,
  ...secretKinds,
  delegationName,
  'missing',
  'missing-tls',
  ...serviceNames.flatMap((s) => sliceSuffixes.map((x) => `${s}-${x}`)),
]);

/** Prefix of every hostile object's own name, so it never collides with a realistic one. */
export const hostilePrefix = 'hostile-';
