/**
 * The Vivaldi coordinates a message carries with proximity on, in the compact part records
 * (part-records.ts), so that proximity does not send a split run's lookup messages through the
 * codec. Written as the codec writes them, float32 (wire/codec.ts): a node only ever holds a
 * coordinate float32 represents exactly (core/vivaldi.ts, asFloat32), so nothing is rounded.
 *
 * The block, after the form's body: the sender's coordinate (4 × f32: x, y, height, error); a u16
 * count of contact coordinates, NO_CONTACTS when the message has none (`closerCoordinates`
 * absent); then per contact a presence byte (0 unknown, 1 known) and, when known, its 4 × f32.
 */
import type { Message } from '../../core/messages.ts';
import type { VivaldiCoordinate } from '../../core/vivaldi.ts';

/** A message's coordinates, apart from the message. */
export interface MessageCoordinates {
  readonly coordinate: VivaldiCoordinate;
  readonly closerCoordinates?: readonly (VivaldiCoordinate | null)[];
}

const COORDINATE_BYTES = 4 * 4;
const NO_CONTACTS = 0xffff;

/** What the message carries, or null when it has no coordinate. */
export function coordinatesOf(message: Message): MessageCoordinates | null {
  if (message.kind === 'leave' || message.coordinate === undefined) return null;
  if (message.kind === 'nodes' && message.closerCoordinates !== undefined) {
    return { coordinate: message.coordinate, closerCoordinates: message.closerCoordinates };
  }
  return { coordinate: message.coordinate };
}

/** The block's length in bytes, or -1 when a u16 cannot count its contacts. */
export function coordinateBlockBytes(coordinates: MessageCoordinates): number {
  let bytes = COORDINATE_BYTES + 2;
  const closer = coordinates.closerCoordinates;
  if (closer !== undefined) {
    if (closer.length >= NO_CONTACTS) return -1;
    for (const coordinate of closer) bytes += 1 + (coordinate === null ? 0 : COORDINATE_BYTES);
  }
  return bytes;
}

/** Writes the block at `offset`. The caller has checked the room. */
export function writeCoordinateBlock(view: DataView, offset: number, coordinates: MessageCoordinates): void {
  let at = writeCoordinate(view, offset, coordinates.coordinate);
  const closer = coordinates.closerCoordinates;
  view.setUint16(at, closer === undefined ? NO_CONTACTS : closer.length);
  at += 2;
  if (closer === undefined) return;
  for (const coordinate of closer) {
    view.setUint8(at, coordinate === null ? 0 : 1);
    at += 1;
    if (coordinate !== null) at = writeCoordinate(view, at, coordinate);
  }
}

/** Reads the block at `offset`. */
export function readCoordinateBlock(view: DataView, offset: number): MessageCoordinates {
  const coordinate = readCoordinate(view, offset);
  let at = offset + COORDINATE_BYTES;
  const count = view.getUint16(at);
  at += 2;
  if (count === NO_CONTACTS) return { coordinate };
  const closerCoordinates: (VivaldiCoordinate | null)[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const known = view.getUint8(at) === 1;
    at += 1;
    closerCoordinates[i] = known ? readCoordinate(view, at) : null;
    if (known) at += COORDINATE_BYTES;
  }
  return { coordinate, closerCoordinates };
}

function writeCoordinate(view: DataView, offset: number, coordinate: VivaldiCoordinate): number {
  view.setFloat32(offset, coordinate.x);
  view.setFloat32(offset + 4, coordinate.y);
  view.setFloat32(offset + 8, coordinate.height);
  view.setFloat32(offset + 12, coordinate.error);
  return offset + COORDINATE_BYTES;
}

function readCoordinate(view: DataView, offset: number): VivaldiCoordinate {
  return { x: view.getFloat32(offset), y: view.getFloat32(offset + 4), height: view.getFloat32(offset + 8), error: view.getFloat32(offset + 12) };
}
