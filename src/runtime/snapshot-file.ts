/**
 * The routing snapshot on disk (`routing.json`): the kernel's NodeSnapshot — contacts and held
 * values — so a restarted node rejoins through the contacts it knew and keeps its values.
 *
 * Times. The kernel's times are on a monotonic clock that restarts with the process, so a value's
 * expiry is saved as the time it had left plus the wall-clock time of the save, and on load the
 * wall-clock time since the save is taken off (never added, if the clock went backwards).
 *
 * A snapshot that cannot be read is reported and ignored, not fatal: the node can always rejoin
 * through its bootstrap list, and a damaged cache must not keep it from starting.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { idFromHex, idToHex, isIdHex, type Id } from '../core/id.ts';
import { Limits } from '../core/limits.ts';
import type { NodeSnapshot, SnapshotValue } from '../core/node-io.ts';
import { peerRef, type PeerRef } from '../core/peer.ts';
import type { ValueOrigin } from '../core/value-store.ts';
import { DataFiles, writeFileAtomically } from './data-dir.ts';

const SNAPSHOT_VERSION = 1;
/** Contacts read back: far more than a routing table of 10^6 nodes holds (about 20 per bucket, a few hundred buckets). */
const CONTACTS_MAX = 10_000;
const VALUES_MAX = Limits.storedValuesMax + Limits.cachedValuesMax;
const ORIGINS: readonly ValueOrigin[] = ['published', 'stored', 'cached'];

interface SnapshotFile {
  readonly version: number;
  readonly savedAtUnixMs: number;
  readonly self: string;
  readonly contacts: readonly { readonly id: string; readonly address: string }[];
  readonly values: readonly {
    readonly key: string;
    readonly value: string;
    readonly remainingMs: number;
    readonly ttlMs: number;
    readonly origin: ValueOrigin;
  }[];
}

export async function saveSnapshot(dir: string, snapshot: NodeSnapshot, nowMs: number, nowUnixMs: number): Promise<void> {
  const file: SnapshotFile = {
    version: SNAPSHOT_VERSION,
    savedAtUnixMs: nowUnixMs,
    self: idToHex(snapshot.self),
    contacts: snapshot.contacts.map((peer) => ({ id: idToHex(peer), address: peer.address })),
    values: snapshot.values.map((held) => ({
      key: idToHex(held.key),
      value: Buffer.from(held.value).toString('base64'),
      remainingMs: Math.max(0, Math.floor(held.expiresAtMs - nowMs)),
      ttlMs: held.ttlMs,
      origin: held.origin,
    })),
  };
  await writeFileAtomically(join(dir, DataFiles.routing), `${JSON.stringify(file)}\n`, 0o600);
}

export type LoadedSnapshot =
  | { readonly kind: 'none' }
  | { readonly kind: 'loaded'; readonly snapshot: NodeSnapshot }
  | { readonly kind: 'unusable'; readonly problem: string };

/**
 * Reads the snapshot saved for `self` (whose address is today's). A snapshot of another identity
 * is unusable: its contacts chose it for another id.
 */
export async function loadSnapshot(dir: string, self: PeerRef, nowMs: number, nowUnixMs: number): Promise<LoadedSnapshot> {
  let text: string;
  try {
    text = await readFile(join(dir, DataFiles.routing), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unusable', problem: (error as Error).message };
  }
  let file: SnapshotFile;
  try {
    file = JSON.parse(text) as SnapshotFile;
  } catch {
    return { kind: 'unusable', problem: 'not JSON' };
  }
  if (file === null || typeof file !== 'object' || file.version !== SNAPSHOT_VERSION) return { kind: 'unusable', problem: `not version ${SNAPSHOT_VERSION}` };
  if (file.self !== idToHex(self)) return { kind: 'unusable', problem: 'saved by another identity' };
  if (!Array.isArray(file.contacts) || !Array.isArray(file.values) || !Number.isFinite(file.savedAtUnixMs)) {
    return { kind: 'unusable', problem: 'malformed' };
  }
  const elapsedMs = Math.max(0, nowUnixMs - file.savedAtUnixMs);
  const contacts: PeerRef[] = [];
  for (const contact of file.contacts.slice(0, CONTACTS_MAX)) {
    const id = parseId(contact?.id);
    // Addresses are checked again by the transport before any use; here only their shape.
    if (id !== null && typeof contact.address === 'string' && contact.address.length <= Limits.addressBytesMax) {
      contacts.push(peerRef(id, contact.address));
    }
  }
  const values: SnapshotValue[] = [];
  for (const held of file.values.slice(0, VALUES_MAX)) {
    const key = parseId(held?.key);
    if (key === null || typeof held.value !== 'string' || !ORIGINS.includes(held.origin)) continue;
    if (!Number.isFinite(held.remainingMs) || !Number.isFinite(held.ttlMs)) continue;
    const remainingMs = held.remainingMs - elapsedMs;
    if (remainingMs <= 0) continue;
    const value = new Uint8Array(Buffer.from(held.value, 'base64'));
    values.push({ key, value, expiresAtMs: nowMs + remainingMs, ttlMs: held.ttlMs, origin: held.origin });
  }
  return { kind: 'loaded', snapshot: { self, contacts, values } };
}

function parseId(text: unknown): Id | null {
  return typeof text === 'string' && isIdHex(text) ? idFromHex(text) : null;
}
