import type { DiagnosticSink, ObjectRef } from '../../diagnostics.js';
import { checkStringMap, field, isRecord, type Reader, readString, readStringMap } from './read.js';

/** The metadata every view carries. */
export interface Meta {
  readonly ref: ObjectRef;
  readonly namespace: string;
  readonly name: string;
  /** Empty for kinds whose annotations kube-xds never reads (they are still checked). */
  readonly annotations: ReadonlyMap<string, string>;
  /**
   * metadata.creationTimestamp in milliseconds since the epoch, or unknownTimestamp (+Infinity) when
   * absent or unreadable; used only to order objects (oldest first). A number keeps no string per
   * object and orders every year correctly.
   */
  readonly createdAt: number;
}

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes object names: DNS-1123 subdomains (253 characters at most). */
export function isObjectName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && dnsSubdomain.test(name);
}

export function isNamespaceName(name: string): boolean {
  return name.length > 0 && name.length <= 63 && dnsLabel.test(name);
}

/** The object's ref as well as it can be read, for diagnostics about objects that fail to parse. */
export function roughRef(kind: string, object: unknown): ObjectRef {
  const metadata = field(object, 'metadata');
  const text = (v: unknown) => (typeof v === 'string' && v.length <= 253 ? v : '');
  return { kind, namespace: text(field(metadata, 'namespace')), name: text(field(metadata, 'name')) };
}

/** One shared empty map: most objects have no annotations kube-xds reads, and a view lives long. */
const noAnnotations: ReadonlyMap<string, string> = new Map();

/**
 * Reads metadata. Namespaced kinds default to namespace `default`, as `kubectl apply` does. Returns
 * undefined (with an InvalidObject diagnostic) when the name or namespace is unusable.
 */
export function parseMeta(
  kind: string,
  object: unknown,
  sink: DiagnosticSink,
  namespaced: boolean,
  { keepAnnotations = true }: { readonly keepAnnotations?: boolean } = {},
): Meta | undefined {
  const metadata = field(object, 'metadata');
  if (!isRecord(metadata)) {
    sink.report(
      'InvalidObject',
      roughRef(kind, object),
      ['metadata'],
      'metadata is missing or not an object',
    );
    return undefined;
  }
  const name = metadata.name;
  if (typeof name !== 'string' || !isObjectName(name)) {
    sink.report(
      'InvalidObject',
      roughRef(kind, object),
      ['metadata', 'name'],
      'metadata.name must be a DNS-1123 subdomain',
    );
    return undefined;
  }
  let namespace = '';
  if (namespaced) {
    const ns = metadata.namespace ?? 'default';
    if (typeof ns !== 'string' || !isNamespaceName(ns)) {
      sink.report(
        'InvalidObject',
        roughRef(kind, object),
        ['metadata', 'namespace'],
        'metadata.namespace must be a DNS-1123 label',
      );
      return undefined;
    }
    namespace = ns;
  }
  const fullRef: ObjectRef = { kind, namespace, name };
  const r: Reader = { ref: fullRef, sink };
  const created = metadata.creationTimestamp;
  const createdAt =
    created instanceof Date
      ? timeOf(created.getTime())
      : timeOf(Date.parse(readString(r, created, creationTimestampPath, 64) ?? ''));
  // Kubernetes allows 256 KiB of annotations (kubectl's last-applied-configuration can be large).
  // Annotations a kind never reads, and labels, are checked for their shape only; the one label
  // kube-xds reads (an EndpointSlice's Service) is read where it is used.
  let annotations = noAnnotations;
  if (keepAnnotations) {
    // Most objects have none: no map to build and drop.
    if (metadata.annotations !== undefined) {
      const read = readStringMap(r, metadata.annotations, annotationsPath, 256 * 1024);
      if (read.size > 0) annotations = read;
    }
  } else {
    checkStringMap(r, metadata.annotations, annotationsPath, 256 * 1024);
  }
  checkStringMap(r, metadata.labels, labelsPath, 253);
  return {
    ref: fullRef,
    namespace,
    name,
    annotations,
    createdAt,
  };
}

const creationTimestampPath = ['metadata', 'creationTimestamp'] as const;
const annotationsPath = ['metadata', 'annotations'] as const;
const labelsPath = ['metadata', 'labels'] as const;

/** Sorts after every real timestamp, so an object without one never wins an "oldest first" rule. */
export const unknownTimestamp = Number.POSITIVE_INFINITY;

const timeOf = (ms: number): number => (Number.isNaN(ms) ? unknownTimestamp : ms);
