import type { Any } from './types.js';

/** A generated message codec: what packAny needs to know about a message type. */
export interface MessageCodec<T> {
  readonly $type: string;
  encode(message: T): { finish(): Uint8Array };
}

const typeUrlPrefix = 'type.googleapis.com/';

/** The Any type URL of a message type, e.g. `type.googleapis.com/envoy.config.cluster.v3.Cluster`. */
export function typeUrlOf(codec: { readonly $type: string }): string {
  return typeUrlPrefix + codec.$type;
}

/** Packs a message into `google.protobuf.Any` with its canonical type URL. */
export function packAny<T>(codec: MessageCodec<T>, message: T): Any {
  return { typeUrl: typeUrlOf(codec), value: codec.encode(message).finish() };
}
