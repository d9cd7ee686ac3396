import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { Any } from './types.js';

/** A generated message codec: what packAny needs to know about a message type. */
export interface MessageCodec<T> {
  readonly $type: string;
  encode(message: T, writer?: BinaryWriter): { finish(): Uint8Array };
}

/**
 * One writer for every encode that finishes before the next starts: finish() copies the bytes out
 * and resets the writer, which keeps its grown buffer, so a thousand packed filter configs do not
 * each grow a fresh buffer from 128 bytes. Encoders never re-enter (they do not pack), so sharing
 * it is invisible to callers.
 */
let writer = new BinaryWriter();

/** `codec.encode(message).finish()`, through the shared writer. */
export function encodeMessage<T>(codec: Pick<MessageCodec<T>, 'encode'>, message: T): Uint8Array {
  try {
    return codec.encode(message, writer).finish();
  } catch (error) {
    // A throw mid-encode leaves the writer's position and fork stack behind: start afresh.
    writer = new BinaryWriter();
    throw error;
  }
}

const typeUrlPrefix = 'type.googleapis.com/';

/** The Any type URL of a message type, e.g. `type.googleapis.com/envoy.config.cluster.v3.Cluster`. */
export function typeUrlOf(codec: { readonly $type: string }): string {
  return typeUrlPrefix + codec.$type;
}

/** Packs a message into `google.protobuf.Any` with its canonical type URL. */
export function packAny<T>(codec: MessageCodec<T>, message: T): Any {
  return { typeUrl: typeUrlOf(codec), value: encodeMessage(codec, message) };
}
