/**
 * A small aggregated xDS server (SotW ADS) that embeds kube-xds.
 *
 * Object events go in through applyChanges(); the incremental translator turns them into Envoy
 * resources and a diff, and the server pushes the diff to every open stream in make-before-break
 * order. Envoy and proxyless gRPC clients can both connect. Delta xDS is not implemented: that call
 * ends with UNIMPLEMENTED.
 *
 * The rules it follows are in docs/guides/serving.md (State of the World):
 * - one version per type (`diff[kind].version`), one nonce per response, counted per stream;
 * - a request whose `response_nonce` is not the last nonce sent for its type is stale and ignored;
 * - a request with `error_detail` is a NACK: logged and recorded in `nacks`, never answered with the
 *   same resources again;
 * - LDS and CDS responses carry every subscribed resource (a client deletes what is left out);
 *   RDS, EDS and SDS responses carry only the changed or newly requested names.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  createTranslator,
  type Diagnostic,
  discoveryResponse,
  kindOfTypeUrl,
  type ObjectChange,
  type PushStep,
  type ResourceKind,
  type ResourceOf,
  resourceKinds,
  resourceName,
  resourceVersions,
  type TranslateOptions,
  type Translator,
  type TranslatorUpdate,
  type XdsResources,
} from '../../src/index.js';

/** A DiscoveryRequest as proto-loader decodes it (keepCase, defaults on). */
export interface WireRequest {
  readonly version_info: string;
  readonly node: { readonly id: string } | null;
  readonly resource_names: readonly string[];
  readonly type_url: string;
  readonly response_nonce: string;
  readonly error_detail: { readonly code: number; readonly message: string } | null;
}

/** A DiscoveryResponse as proto-loader encodes it: resources are Anys holding bytes we encoded. */
export interface WireResponse {
  readonly version_info: string;
  readonly resources: readonly { readonly type_url: string; readonly value: Uint8Array }[];
  readonly type_url: string;
  readonly nonce: string;
}

type AdsCall = grpc.ServerDuplexStream<WireRequest, WireResponse>;

/** A rejected response, as the client reported it. */
export interface NackRecord {
  readonly nodeId: string;
  readonly kind: ResourceKind;
  /** The version the client still runs (not the rejected one). */
  readonly versionInfo: string;
  readonly nonce: string;
  readonly message: string;
}

/** An accepted response. */
export interface AckRecord {
  readonly nodeId: string;
  readonly kind: ResourceKind;
  readonly versionInfo: string;
  readonly nonce: string;
}

export interface AdsServerOptions {
  /** Passed to createTranslator(). */
  readonly translateOptions?: TranslateOptions;
  /** Where log lines go. Default: standard error. */
  readonly log?: (line: string) => void;
}

interface TypeState {
  /** Subscribed names; undefined means wildcard (everything of this kind). */
  names: ReadonlySet<string> | undefined;
  /** The last nonce sent for this type on this stream. */
  nonce: string | undefined;
  /** Whether that response is still waiting for its ACK or NACK. */
  pending: boolean;
}

interface Stream {
  readonly id: number;
  readonly call: AdsCall;
  readonly types: Map<ResourceKind, TypeState>;
  nodeId: string;
  nonces: number;
}

/** LDS and CDS responses must list every subscribed resource: leaving one out deletes it. */
const fullStateKinds: ReadonlySet<ResourceKind> = new Set(['listeners', 'clusters']);

let adsService: grpc.ServiceDefinition | undefined;

/** The ADS service definition, from the Envoy protos that @grpc/grpc-js-xds ships (loaded once). */
export function loadAdsService(): grpc.ServiceDefinition {
  if (adsService !== undefined) return adsService;
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d)),
  });
  const service = definition['envoy.service.discovery.v3.AggregatedDiscoveryService'];
  if (service === undefined || 'format' in service) throw new Error('ADS service not found in ads.proto');
  adsService = service;
  return service;
}

function wire(response: ReturnType<typeof discoveryResponse>): WireResponse {
  return {
    version_info: response.versionInfo ?? '',
    resources: (response.resources ?? []).map((any) => ({
      type_url: any.typeUrl ?? '',
      value: any.value ?? new Uint8Array(),
    })),
    type_url: response.typeUrl ?? '',
    nonce: response.nonce ?? '',
  };
}

const nameOf = <K extends ResourceKind>(kind: K, resource: ResourceOf<K>) =>
  resourceName(kind, resource as { name?: string; clusterName?: string });

export class AdsServer {
  private readonly server = new grpc.Server();
  private readonly translator: Translator;
  private readonly log: (line: string) => void;
  private readonly streams = new Set<Stream>();
  /** Version cache shared by every resourceVersions() call (messages are never mutated). */
  private readonly versionCache = new WeakMap<object, string>();
  private current: XdsResources;
  private readonly versions = new Map<ResourceKind, string>();
  private readonly waiters = new Set<() => void>();
  private streamIds = 0;
  private readonly nackList: NackRecord[] = [];
  private readonly ackList: AckRecord[] = [];
  private latestDiagnostics: readonly Diagnostic[] = [];

  constructor(options: AdsServerOptions = {}) {
    this.translator = createTranslator(options.translateOptions);
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.current = this.translator.resources;
    for (const kind of resourceKinds) this.versions.set(kind, this.versionOf(kind, this.current[kind]));
    this.server.addService(loadAdsService(), {
      StreamAggregatedResources: (call: AdsCall) => this.onStream(call),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.emit('error', {
          code: grpc.status.UNIMPLEMENTED,
          details: 'this example serves State-of-the-World ADS only (StreamAggregatedResources)',
        });
      },
    });
  }

  /** Binds the server (default `127.0.0.1:0`, a free port) and returns the port. */
  start(address = '127.0.0.1:0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error) reject(error);
        else {
          this.log(`ADS server listening on ${address.replace(/:\d+$/, '')}:${port}`);
          resolve(port);
        }
      });
    });
  }

  /** Every NACK received so far, oldest first. */
  get nacks(): readonly NackRecord[] {
    return this.nackList;
  }

  /** Every ACK received so far, oldest first. */
  get acks(): readonly AckRecord[] {
    return this.ackList;
  }

  /** The diagnostics of the latest translation. */
  get diagnostics(): readonly Diagnostic[] {
    return this.latestDiagnostics;
  }

  /** The resources being served. */
  get resources(): XdsResources {
    return this.current;
  }

  /** Feeds object events to the translator and pushes what changed to every stream. */
  applyChanges(changes: Iterable<ObjectChange>): TranslatorUpdate {
    const update = this.translator.apply(changes);
    const prev = this.current;
    const next = update.resources;
    this.current = next;
    this.latestDiagnostics = update.diagnostics;
    for (const kind of resourceKinds) this.versions.set(kind, update.diff[kind].version);
    for (const step of update.diff.plan)
      this.log(`push: ${step.action} ${step.kind} ${step.names.join(' ')}`);
    for (const step of update.diff.plan)
      for (const stream of this.streams) this.pushStep(stream, step, prev, update);
    this.checkSettled();
    return update;
  }

  /**
   * Resolves once every response sent on every stream has been ACKed or NACKed. Clients may still
   * be about to subscribe to more (a new listener makes them ask for its routes), so tests should
   * wait for the behaviour they expect, not only for this.
   */
  settled(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        const pending = [...this.streams].flatMap((stream) =>
          [...stream.types].flatMap(([kind, state]) =>
            state.pending ? [`${stream.nodeId} ${kind} nonce ${state.nonce}`] : [],
          ),
        );
        reject(new Error(`no ACK or NACK within ${timeoutMs} ms from: ${pending.join('; ')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.add(done);
      this.checkSettled();
    });
  }

  /** Closes every stream and the server at once. */
  close(): void {
    this.server.forceShutdown();
    this.streams.clear();
  }

  private versionOf<K extends ResourceKind>(kind: K, resources: readonly ResourceOf<K>[]): string {
    return resourceVersions(kind, resources, { versions: this.versionCache }).version;
  }

  private checkSettled(): void {
    for (const stream of this.streams) for (const state of stream.types.values()) if (state.pending) return;
    for (const done of [...this.waiters]) {
      this.waiters.delete(done);
      done();
    }
  }

  private onStream(call: AdsCall): void {
    const stream: Stream = { id: ++this.streamIds, call, types: new Map(), nodeId: '', nonces: 0 };
    this.streams.add(stream);
    const forget = () => {
      if (this.streams.delete(stream)) this.log(`stream ${stream.id} (${stream.nodeId || '?'}) closed`);
      this.checkSettled();
    };
    call.on('data', (request: WireRequest) => {
      this.onRequest(stream, request);
      this.checkSettled();
    });
    call.on('end', () => {
      call.end();
      forget();
    });
    call.on('error', forget);
    call.on('cancelled', forget);
  }

  private onRequest(stream: Stream, request: WireRequest): void {
    if (stream.nodeId === '' && request.node?.id) {
      stream.nodeId = request.node.id;
      this.log(`stream ${stream.id} opened by node ${stream.nodeId}`);
    }
    const kind = kindOfTypeUrl(request.type_url);
    if (kind === undefined) {
      this.log(`stream ${stream.id}: no resources of type ${request.type_url}; not answering`);
      return;
    }
    const state = stream.types.get(kind);
    const nonce = request.response_nonce;
    if (nonce !== '' && state?.nonce !== undefined && nonce !== state.nonce) {
      // Stale: it answers a response that a newer one has replaced, so its subscription and
      // version are outdated. (A nonce from before a reconnect, with nothing sent yet, is not stale.)
      return;
    }
    if (state !== undefined && nonce !== '' && nonce === state.nonce) {
      state.pending = false;
      const record = { nodeId: stream.nodeId, kind, versionInfo: request.version_info, nonce };
      if (request.error_detail) {
        const { message } = request.error_detail;
        this.nackList.push({ ...record, message });
        this.log(
          `NACK from ${stream.nodeId} for ${kind} (nonce ${nonce}, still runs ${record.versionInfo}): ${message}`,
        );
      } else this.ackList.push(record);
    }

    // The subscription. An empty list on the first LDS/CDS request means wildcard (legacy rule).
    const requested = request.resource_names;
    const wasWildcard = state !== undefined && state.names === undefined;
    const wildcard =
      requested.includes('*') ||
      (fullStateKinds.has(kind) && requested.length === 0 && (state === undefined || wasWildcard));
    const names = wildcard ? undefined : new Set(requested);
    const before = state?.names;
    if (state === undefined) stream.types.set(kind, { names, nonce: undefined, pending: false });
    else state.names = names;

    // Answer a first request, and names added to a subscription (even ones sent before: the client
    // dropped them). A NACK alone gets no answer: the same resources would be rejected again.
    const everything = names === undefined && !wasWildcard;
    const added = names === undefined || wasWildcard ? [] : [...names].filter((n) => !before?.has(n));
    if (state !== undefined && !everything && added.length === 0) return;
    const version = this.versions.get(kind) ?? '';
    if (fullStateKinds.has(kind)) {
      this.send(stream, kind, this.current[kind], version);
      return;
    }
    const wanted = everything ? undefined : new Set(added);
    const resources = (this.current[kind] as readonly ResourceOf<typeof kind>[]).filter(
      (r) => wanted === undefined || wanted.has(nameOf(kind, r)),
    );
    if (resources.length > 0) this.send(stream, kind, resources, version);
  }

  /** Sends one step of the make-before-break plan on one stream. */
  private pushStep(stream: Stream, step: PushStep, prev: XdsResources, update: TranslatorUpdate): void {
    const { kind } = step;
    const state = stream.types.get(kind);
    if (state === undefined) return;
    const { names } = state;
    if (names !== undefined && !step.names.some((name) => names.has(name))) return;
    const diff = update.diff[kind];
    if (fullStateKinds.has(kind)) {
      if (step.action === 'upsert' && diff.removed.length > 0) {
        // Keep what this diff removes until the removal step: routes may still point at it.
        const removed = new Set(diff.removed);
        const kept = (prev[kind] as readonly ResourceOf<typeof kind>[]).filter((r) =>
          removed.has(nameOf(kind, r)),
        );
        const resources = [...update.resources[kind], ...kept];
        this.send(stream, kind, resources, this.versionOf(kind, resources));
      } else this.send(stream, kind, update.resources[kind], diff.version);
      return;
    }
    // RDS/EDS/SDS: removed names are dropped by the client once nothing refers to them.
    if (step.action === 'remove') return;
    const upserted = diff.upserted
      .map((u) => u.resource)
      .filter((r) => names === undefined || names.has(nameOf(kind, r)));
    this.send(stream, kind, upserted, diff.version);
  }

  private send<K extends ResourceKind>(
    stream: Stream,
    kind: K,
    resources: readonly ResourceOf<K>[],
    versionInfo: string,
  ): void {
    const state = stream.types.get(kind);
    if (state === undefined) return;
    const nonce = String(++stream.nonces);
    const response = discoveryResponse(kind, resources, {
      versionInfo,
      nonce,
      ...(state.names !== undefined ? { names: state.names } : {}),
    });
    state.nonce = nonce;
    state.pending = true;
    stream.call.write(wire(response));
  }
}
