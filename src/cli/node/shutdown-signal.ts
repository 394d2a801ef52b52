/**
 * Waits for SIGINT or SIGTERM, the signals a terminal's Ctrl-C and a service manager send to ask a
 * node to stop. A second signal while the node is shutting down ends the process at once: the user
 * has said twice that waiting is not wanted.
 */
const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** Exit status after a forced second signal: 128 + the signal's number, as shells report it. */
const FORCED_EXIT_STATUS: Record<ShutdownSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export interface ShutdownWatch {
  /** Resolves with the first signal. */
  readonly received: Promise<ShutdownSignal>;
  /** Removes the handlers (when the node failed to start, or has stopped). */
  dispose(): void;
}

/** `beforeForcedExit` runs on the second signal, just before the process exits (to kill children, say). */
export function watchShutdownSignals(beforeForcedExit: () => void = () => {}): ShutdownWatch {
  const forceExit = (signal: ShutdownSignal): void => {
    beforeForcedExit();
    process.exit(FORCED_EXIT_STATUS[signal]);
  };
  let onFirst: (signal: ShutdownSignal) => void = () => {};
  const received = new Promise<ShutdownSignal>((resolve) => {
    onFirst = (signal) => {
      for (const name of SHUTDOWN_SIGNALS) {
        process.off(name, onFirst);
        process.on(name, forceExit);
      }
      resolve(signal);
    };
  });
  for (const name of SHUTDOWN_SIGNALS) process.on(name, onFirst);
  return {
    received,
    dispose: () => {
      for (const name of SHUTDOWN_SIGNALS) {
        process.off(name, onFirst);
        process.off(name, forceExit);
      }
    },
  };
}
