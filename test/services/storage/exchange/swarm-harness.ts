/**
 * The swarm scheduler's virtual-time network (src/sim/experiments/swarm/swarm-network.ts, which
 * the simulator's swarm experiment runs too), and the tests' shorthands for holders and blocks.
 */
import { runSwarm, type Behaviour, type SwarmBlockSpec, type SwarmHolder } from '../../../../src/sim/experiments/swarm/swarm-network.ts';

export { runSwarm };
export type { SwarmHolder as SimPeer, SwarmRunState as SimState } from '../../../../src/sim/experiments/swarm/swarm-network.ts';

export const BLOCK_BYTES = 256 * 1024;

/** `count` blocks of BLOCK_BYTES, every one held by all of `holders`. */
export function blocksHeldByAll(count: number, holders: readonly string[], bytes = BLOCK_BYTES): SwarmBlockSpec[] {
  return Array.from({ length: count }, (_, index) => ({ id: `block-${String(index).padStart(5, '0')}`, bytes, holders }));
}

export function peer(id: string, rateBytesPerMs: number, behaviour: Behaviour = 'honest', latencyMs = 25): SwarmHolder {
  return { id, rateBytesPerMs, latencyMs, behaviour };
}
