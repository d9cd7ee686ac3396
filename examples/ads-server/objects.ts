/**
 * Kubernetes objects from YAML files, turned into the watch events kube-xds's translator takes. A
 * controller would get the same events from informers; here a file edit plays the part of the API
 * server.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { ObjectChange } from '../../src/index.js';

interface Identity {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kind, namespace and name of an object, or undefined when it has no kind or name. */
export function identityOf(object: unknown): Identity | undefined {
  if (!isRecord(object) || typeof object.kind !== 'string' || !isRecord(object.metadata)) return undefined;
  const { name, namespace } = object.metadata;
  if (typeof name !== 'string') return undefined;
  return typeof namespace === 'string' ? { kind: object.kind, namespace, name } : { kind: object.kind, name };
}

const keyOf = (id: Identity) => `${id.kind}/${id.namespace ?? ''}/${id.name}`;

/** `kind: List` (or `ServiceList`, …) holds its objects in `items`. */
function flatten(value: unknown): unknown[] {
  if (
    isRecord(value) &&
    typeof value.kind === 'string' &&
    value.kind.endsWith('List') &&
    Array.isArray(value.items)
  )
    return value.items.flatMap(flatten);
  return value === null || value === undefined ? [] : [value];
}

/** Every object in the given YAML or JSON files (multi-document YAML; lists flattened). */
export async function readObjects(files: readonly string[]): Promise<unknown[]> {
  const objects: unknown[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      const [error] = doc.errors;
      if (error !== undefined) throw new Error(`${file}: ${error.message}`);
      objects.push(...flatten(doc.toJS()));
    }
  }
  return objects;
}

/**
 * The events that turn the object set `previous` into `next`: an upsert per object of `next` (the
 * translator ignores an upsert equal to what it holds) and a delete per identity that is gone.
 */
export function changesBetween(previous: readonly unknown[], next: readonly unknown[]): ObjectChange[] {
  const present = new Set(next.flatMap((o) => (identityOf(o) ? [keyOf(identityOf(o) as Identity)] : [])));
  const changes: ObjectChange[] = next.map((object) => ({ type: 'upsert', object }));
  for (const object of previous) {
    const id = identityOf(object);
    if (id !== undefined && !present.has(keyOf(id))) {
      changes.push({ type: 'delete', ...id });
      present.add(keyOf(id));
    }
  }
  return changes;
}
