/**
 * Vivaldi network coordinates (Dabek, Cox, Kaashoek, Morris, "Vivaldi: A Decentralized Network
 * Coordinate System", SIGCOMM 2004; issue 6, item 1): each node places itself in a synthetic space
 * so that the distance between two nodes' coordinates predicts their round-trip time, from RTT
 * samples it takes anyway (every RPC is one) and the coordinates peers send with their answers. It
 * is how a node chooses near neighbours and near replicas without probing them (survey §4.5).
 *
 * The space is the paper's 2-D Euclidean plane plus a height (§5.4): the height models a node's
 * access link, which every path from it crosses, so the predicted RTT between a and b is
 * ‖a − b‖ + a.height + b.height. Each sample moves the node by the adaptive timestep of §4.3: a
 * node whose own error is high relative to the peer's moves further, and the confidence a node has
 * in its coordinate (its error estimate, a moving average of relative errors) is what it sends with
 * it. Pure: the randomness that breaks ties (two nodes at the same place) is injected.
 */
import type { Random } from './random.ts';

export interface VivaldiCoordinate {
  /** Position in the plane, milliseconds. */
  readonly x: number;
  readonly y: number;
  /** The access link's share of every RTT, milliseconds; at least VivaldiTuning.heightMinMs. */
  readonly height: number;
  /** The node's own relative error estimate, from 0 (sure) to 1 (no idea): how much a peer should trust this coordinate. */
  readonly error: number;
}

export const VivaldiTuning = {
  /** cc: the largest fraction of the prediction's error a sample corrects (the paper's 0.25). */
  timestepFactor: 0.25,
  /** ce: how fast the error estimate follows new samples (the paper's 0.25). */
  errorFactor: 0.25,
  /** A new node knows nothing: its error starts at 1. */
  initialError: 1,
  /** Heights stay positive (a negative access delay would let a node shortcut every path). */
  heightMinMs: 0.1,
  /** Samples above this are not RTTs but stalls (a timeout's worth): they are ignored. */
  rttMaxMs: 30_000,
} as const;

export const ORIGIN: VivaldiCoordinate = { x: 0, y: 0, height: VivaldiTuning.heightMinMs, error: VivaldiTuning.initialError };

/** The RTT two coordinates predict, in milliseconds. */
export function predictedRttMs(a: VivaldiCoordinate, b: VivaldiCoordinate): number {
  return Math.hypot(a.x - b.x, a.y - b.y) + a.height + b.height;
}

/** |predicted − measured| / measured. */
export function relativeError(predictedMs: number, measuredMs: number): number {
  return Math.abs(predictedMs - measuredMs) / measuredMs;
}

/**
 * Where a node at `self` moves after measuring `rttMs` to a peer at `peer` (§4.3, with the height
 * model of §5.4). Returns `self` unchanged for a sample that is not a usable RTT (not finite,
 * not positive, or a stall) or a peer coordinate that is not one.
 */
export function vivaldiUpdate(self: VivaldiCoordinate, peer: VivaldiCoordinate, rttMs: number, random: Random): VivaldiCoordinate {
  if (!(rttMs > 0 && rttMs <= VivaldiTuning.rttMaxMs) || !isCoordinate(peer)) return self;
  const predicted = predictedRttMs(self, peer);
  // Weight: how much of the disagreement is ours to fix, by the two error estimates.
  const weight = self.error / (self.error + peer.error);
  const sampleError = relativeError(predicted, rttMs);
  const error = Math.min(1, sampleError * VivaldiTuning.errorFactor * weight + self.error * (1 - VivaldiTuning.errorFactor * weight));
  const step = VivaldiTuning.timestepFactor * weight * (rttMs - predicted);
  // The unit vector from the peer to us, in the plane with the heights added (§5.4: heights
  // always add, so moving "away" also grows the height and "towards" shrinks it).
  let dx = self.x - peer.x;
  let dy = self.y - peer.y;
  let planar = Math.hypot(dx, dy);
  if (planar === 0) {
    // Two nodes at one place: a random direction separates them (the paper's rule).
    const angle = random.nextFloat() * 2 * Math.PI;
    dx = Math.cos(angle);
    dy = Math.sin(angle);
    planar = 1;
  }
  const length = planar + self.height + peer.height;
  const x = self.x + step * (dx / planar) * (planar / length);
  const y = self.y + step * (dy / planar) * (planar / length);
  const height = Math.max(VivaldiTuning.heightMinMs, self.height + step * ((self.height + peer.height) / length));
  return { x, y, height, error };
}

/**
 * The coordinate as the wire carries it (float32 fields), so that a node holds exactly what its
 * peers receive and a simulation runs the same with and without the codec (`--wire`).
 */
export function asFloat32(coordinate: VivaldiCoordinate): VivaldiCoordinate {
  return { x: Math.fround(coordinate.x), y: Math.fround(coordinate.y), height: Math.fround(coordinate.height), error: Math.fround(coordinate.error) };
}

/** Whether a value from a peer is a coordinate we can use (finite numbers, a height ≥ the minimum, an error in [0, 1]). */
export function isCoordinate(value: unknown): value is VivaldiCoordinate {
  if (typeof value !== 'object' || value === null) return false;
  const { x, y, height, error } = value as Record<string, unknown>;
  return typeof x === 'number' && Number.isFinite(x) && typeof y === 'number' && Number.isFinite(y)
    && typeof height === 'number' && Number.isFinite(height) && height >= VivaldiTuning.heightMinMs
    && typeof error === 'number' && error >= 0 && error <= 1 && Math.abs(x) < 1e7 && Math.abs(y) < 1e7 && height < 1e7;
}
