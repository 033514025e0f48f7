/**
 * Ctrl-C (or a SIGTERM) during a bench stops what the bench started before it exits. The launcher starts each
 * process in a process group of its own, so the terminal's signal never reaches them: without this they outlive
 * the bench, idle but holding their ports, their CPU share and their scratch folders. A bench may hold several
 * at once (the table's platform and its poller run): every one registered is stopped, then the bench exits.
 */
const stops = new Set<() => Promise<unknown>>();

const onSignal = (signal: NodeJS.Signals) => {
  console.error(`\n${signal}: stopping what this bench started`);
  void Promise.allSettled([...stops].map((stop) => stop())).finally(() =>
    process.exit(signal === "SIGINT" ? 130 : 143),
  );
};

/** Registers `stop` for an interrupt; returns the function that takes it off again (call it before stopping). */
export const stopOnInterrupt = (stop: () => Promise<unknown>) => {
  if (stops.size === 0) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  stops.add(stop);
  return () => {
    stops.delete(stop);
    if (stops.size > 0) return;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
};
