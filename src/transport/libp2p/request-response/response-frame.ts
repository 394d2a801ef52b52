/**
 * What a request handler answers with, frame by frame: the bytes of a frame, or a frame given as its
 * head and body, written as one frame without first being joined — a block answer's few fields,
 * then the block itself, which is the bulk of every byte a server sends.
 */
export type ResponseFrame = Uint8Array | { readonly head: Uint8Array; readonly body: Uint8Array };

/** The frame as head and body (a plain frame is all head); TypeError for anything else a handler gave. */
export function framePieces(frame: unknown): { readonly head: Uint8Array; readonly body: Uint8Array } {
  if (frame instanceof Uint8Array) return { head: frame, body: EMPTY };
  if (typeof frame === 'object' && frame !== null) {
    const { head, body } = frame as { head?: unknown; body?: unknown };
    if (head instanceof Uint8Array && body instanceof Uint8Array) return { head, body };
  }
  throw new TypeError('the handler gave a payload that is neither a Uint8Array nor a { head, body } of Uint8Arrays');
}

/** A frame's payload bytes (its length prefix not included). */
export function frameLength(frame: { readonly head: Uint8Array; readonly body: Uint8Array }): number {
  return frame.head.length + frame.body.length;
}

const EMPTY = new Uint8Array(0);
