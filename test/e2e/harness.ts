/**
 * Shared pieces of the e2e tests: echo backends on loopback, the Kubernetes objects that point at
 * them, gRPC xDS clients (grpc-js here; C-core in c-core.test.ts) and small polling helpers.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AdsServer, type AdsServerOptions } from '../../examples/ads-server/server.js';
import { endpointSlice, ingress, service } from '../../src/fixtures/index.js';
import { type ObjectChange, toEnvoyJson, type XdsResources } from '../../src/index.js';

export const echoProto = fileURLToPath(new URL('./echo.proto', import.meta.url));

/** Method paths; Ingress paths such as `/echo.Echo/` and `/echo.Admin/` route them. */
export const methods = {
  echo: '/echo.Echo/Call',
  echoMore: '/echo.EchoMore/Call',
  admin: '/echo.Admin/Call',
  unrouted: '/echo.Unrouted/Call',
} as const;
export type Method = (typeof methods)[keyof typeof methods];

interface EchoRequest {
  message: string;
}
interface EchoReply {
  backend: string;
  message: string;
}

const echoPackage = protoLoader.loadSync(echoProto, { keepCase: true, defaults: true });

function serviceDefinition(name: string): grpc.ServiceDefinition {
  const definition = echoPackage[name];
  if (definition === undefined || 'format' in definition) throw new Error(`no service ${name} in echo.proto`);
  return definition;
}

const echoServices = ['echo.Echo', 'echo.EchoMore', 'echo.Admin', 'echo.Unrouted'].map(serviceDefinition);
const callMethod = echoServices[0]?.Call;
if (callMethod === undefined) throw new Error('echo.Echo has no Call method');
const serializeRequest = (request: EchoRequest) => callMethod.requestSerialize(request);
const deserializeReply = (bytes: Buffer) => callMethod.responseDeserialize(bytes) as EchoReply;

/** A gRPC server on 127.0.0.1 that answers every echo service with its own id. */
export interface Backend {
  readonly id: string;
  readonly port: number;
  readonly server: grpc.Server;
  /** Calls served so far. */
  calls: number;
}

export async function startBackend(id: string): Promise<Backend> {
  const server = new grpc.Server();
  const backend: { id: string; port: number; server: grpc.Server; calls: number } = {
    id,
    port: 0,
    server,
    calls: 0,
  };
  const handler: grpc.handleUnaryCall<EchoRequest, EchoReply> = (call, callback) => {
    backend.calls++;
    callback(null, { backend: id, message: call.request.message });
  };
  for (const definition of echoServices) server.addService(definition, { Call: handler });
  backend.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
  return backend;
}

export async function startBackends(...ids: string[]): Promise<Backend[]> {
  return Promise.all(ids.map(startBackend));
}

/** A started example ADS server; its log lines are kept instead of printed. */
export async function startAds(
  options: AdsServerOptions = {},
): Promise<{ ads: AdsServer; port: number; log: string[] }> {
  const log: string[] = [];
  const ads = new AdsServer({
    translateOptions: { grpcApiListeners: true },
    log: (line) => log.push(line),
    ...options,
  });
  return { ads, port: await ads.start('127.0.0.1:0'), log };
}

// ---------------------------------------------------------------------------------------------------
// Kubernetes objects

export const namespace = 'e2e';

export interface Member {
  readonly backend: Pick<Backend, 'id' | 'port'>;
  readonly zone?: string;
  readonly ready?: boolean;
}

/**
 * A Service whose port `grpc` targets the port named `grpc`, and one EndpointSlice per member
 * (the port of a slice applies to all its endpoints, and every backend listens on its own port).
 */
export function backendService(name: string, members: readonly Member[]): unknown[] {
  return [
    service(`${namespace}/${name}`, {
      ports: [{ name: 'grpc', port: 80, targetPort: 'grpc', appProtocol: 'kubernetes.io/h2c' }],
    }),
    ...members.map((m) => slice(name, m)),
  ];
}

export function slice(serviceName: string, member: Member): unknown {
  return endpointSlice(`${namespace}/${serviceName}-${member.backend.id}`, {
    service: serviceName,
    ports: [{ name: 'grpc', port: member.backend.port }],
    endpoints: [
      {
        address: '127.0.0.1',
        ...(member.zone !== undefined ? { zone: member.zone } : {}),
        ...(member.ready !== undefined ? { ready: member.ready } : {}),
      },
    ],
  });
}

/**
 * An Ingress for one host. Paths are gRPC service prefixes such as `/echo.Echo/`, pathType Prefix
 * unless given (with grpcApiListeners, kube-xds writes a Prefix path `/p` as exact `/p` plus prefix
 * `/p/`, since gRPC clients refuse Envoy's path_separated_prefix).
 */
export function echoIngress(
  name: string,
  host: string,
  paths: readonly { readonly path: string; readonly service: string; readonly pathType?: string }[],
  annotations?: Record<string, string>,
): unknown {
  return ingress(`${namespace}/${name}`, {
    ...(annotations !== undefined ? { annotations } : {}),
    rules: [
      {
        host,
        paths: paths.map((p) => ({
          path: p.path,
          pathType: p.pathType ?? 'Prefix',
          backend: `${p.service}:grpc`,
        })),
      },
    ],
  });
}

/** The ports of every endpoint served, sorted (every backend listens on 127.0.0.1, each on its own port). */
export function endpointPorts(resources: XdsResources): number[] {
  const json = JSON.stringify(toEnvoyJson(resources).endpoints);
  return [...json.matchAll(/"portValue":(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

export const upserts = (...objects: unknown[]): ObjectChange[] =>
  objects.flat(Number.POSITIVE_INFINITY).map((object) => ({ type: 'upsert', object }));

// ---------------------------------------------------------------------------------------------------
// grpc-js xDS clients

/** A bootstrap naming the ADS server; one per channel (grpc-js) or per process (C-core). */
export function bootstrap(adsPort: number, nodeId: string): object {
  return {
    xds_servers: [{ server_uri: `127.0.0.1:${adsPort}`, channel_creds: [{ type: 'insecure' }] }],
    // grpc-js-xds 1.14 refuses a node without `locality` ("locality field missing in node element").
    node: { id: nodeId, locality: {} },
  };
}

let registered = false;

/** A grpc-js channel to `xds:///<host>` with its own XdsClient (per-channel bootstrap). */
export async function xdsClient(host: string, adsPort: number, nodeId: string): Promise<grpc.Client> {
  if (!registered) {
    const xds = await import('@grpc/grpc-js-xds');
    xds.register();
    registered = true;
  }
  return new grpc.Client(`xds:///${host}`, grpc.credentials.createInsecure(), {
    'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap(adsPort, nodeId)),
  });
}

export type Reply =
  | { readonly ok: true; readonly backend: string }
  | { readonly ok: false; readonly code: number; readonly details: string };

export function call(client: grpc.Client, method: Method, deadlineMs = 2000): Promise<Reply> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method,
      serializeRequest,
      deserializeReply,
      { message: 'ping' },
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, reply) => {
        if (error) resolve({ ok: false, code: error.code, details: error.details });
        else resolve({ ok: true, backend: reply?.backend ?? '' });
      },
    );
  });
}

/** `n` calls, `parallel` at a time. */
export async function calls(
  client: grpc.Client,
  method: Method,
  n: number,
  { deadlineMs = 2000, parallel = 10 } = {},
): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, () => call(client, method, deadlineMs));
    replies.push(...(await Promise.all(batch)));
  }
  return replies;
}

/** How many replies came from each backend, plus `failed`; keys sorted. */
export function tally(
  replies: readonly ({ readonly ok: true; readonly backend: string } | { readonly ok: false })[],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of replies) {
    const key = r.ok ? r.backend : 'failed';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Polls `probe` until `done` holds for its result, or throws with the last result. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 8000, intervalMs = 50 } = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > end)
      throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
