/**
 * Ctrl-C (or a SIGTERM) during a bench stops the platform it started before the bench exits. The launcher starts
 * each process in a process group of its own, so the terminal's signal never reaches them: without this they
 * outlive the bench, idle but holding their ports, their CPU share and their scratch folder. Returns the
 * function that takes the handlers off again (the bench's own `stop` calls it).
 */
export const stopOnInterrupt = (stop: () => Promise<unknown>) => {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the platform this bench started`);
    void stop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
};
