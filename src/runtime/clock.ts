/**
 * The time a real node gives its kernel. Monotonic (performance.now), not the wall clock, so that
 * NTP steps and manual clock changes cannot fire every timer at once or stall them for hours; in
 * whole milliseconds, like the simulator's clock, so kernel times stay small integers.
 */
export interface Clock {
  nowMs(): number;
}

export const monotonicClock: Clock = {
  nowMs: () => Math.floor(performance.now()),
};
