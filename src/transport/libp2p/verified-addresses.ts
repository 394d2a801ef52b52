/**
 * A bounded memo of addresses already parsed and checked. Every `nodes` reply names up to k
 * contacts, mostly the same few hundred peers again and again; parsing a peer id and hashing its
 * key for each would cost more than the rest of handling the reply.
 */
import { idEquals, type Id } from '../../core/id.ts';
import type { PeerRef } from '../../core/peer.ts';
import { kernelIdOfPeerId } from './kernel-id.ts';
import { parsePeerAddress, type ParseResult, type PeerAddress } from './peer-address.ts';

interface Entry {
  readonly address: PeerAddress;
  readonly id: Id;
}

type Checked = Entry | { readonly error: string };

export class VerifiedAddresses {
  private readonly entries = new Map<string, Checked>();
  private readonly entriesMax: number;

  constructor(entriesMax: number) {
    this.entriesMax = entriesMax;
  }

  /** The parsed address of `peer`, if it parses and its kernel id is the one its key gives. */
  verify(peer: PeerRef): ParseResult<PeerAddress> {
    const checked = this.check(peer.address);
    if ('error' in checked) return { ok: false, error: checked.error };
    if (!idEquals(checked.id, peer)) return { ok: false, error: 'kernel id does not match the peer id key' };
    return { ok: true, value: checked.address };
  }

  private check(text: string): Checked {
    const known = this.entries.get(text);
    if (known !== undefined) return known;
    const parsed = parsePeerAddress(text);
    let checked: Checked;
    if (!parsed.ok) {
      checked = { error: parsed.error };
    } else {
      const id = kernelIdOfPeerId(parsed.value.peerId);
      checked = id === null ? { error: 'not an Ed25519 peer id' } : { address: parsed.value, id };
    }
    // The oldest entry goes first: Map iterates in insertion order.
    if (this.entries.size >= this.entriesMax) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(text, checked);
    return checked;
  }
}
