import { setTimeout as sleep } from "node:timers/promises";
import { type ManagedProcess, waitUntil } from "./processes.ts";
import type { Exit, SupervisorEvent } from "./stack.ts";
import { decideRestart, type RestartPolicy } from "./supervise.ts";

/** How to start a child again, and how to tell it is ready. */
export interface Spawner {
  spawn(): ManagedProcess;
  ready(child: ManagedProcess): Promise<boolean>;
}

/**
 * Restarts the children it adopted when they die, unless they were stopped on purpose (`hold`) or
 * the platform is stopping (`close`). Without a policy it adopts nothing: nothing is restarted.
 */
export const createSupervisor = ({
  policy,
  current,
  track,
  emit,
}: {
  policy: RestartPolicy | undefined;
  /** The child now running under the name (a restart replaces it). */
  current(name: string): ManagedProcess | undefined;
  track(name: string, child: ManagedProcess): void;
  emit(event: SupervisorEvent): void;
}) => {
  const held = new Set<string>();
  const crashes = new Map<string, number[]>();
  const restarts = new Map<string, number>();
  let closed = false;
  const wanted = (name: string, child: ManagedProcess) => !closed && !held.has(name) && current(name) === child;

  const watch = (name: string, child: ManagedProcess, spawner: Spawner) => {
    void child.ended.then((exit) => restart(name, child, spawner, exit));
  };

  const restart = async (name: string, child: ManagedProcess, spawner: Spawner, exit: Exit) => {
    if (!policy || !wanted(name, child)) return;
    const now = Date.now();
    const times = [...(crashes.get(name) ?? []), now].slice(-policy.maxCrashes);
    crashes.set(name, times);
    const decision = decideRestart(times, now, policy);
    const pid = child.child.pid;
    if (decision.kind === "give-up") {
      emit({ kind: "gave-up", name, pid, exit, recentCrashes: decision.recent, tail: child.tail() });
      return;
    }
    emit({
      kind: "exited",
      name,
      pid,
      exit,
      restartInMs: decision.delayMs,
      recentCrashes: decision.recent,
      tail: child.tail(),
    });
    await sleep(decision.delayMs);
    if (!wanted(name, child)) return;
    const next = spawner.spawn();
    track(name, next);
    const count = (restarts.get(name) ?? 0) + 1;
    restarts.set(name, count);
    watch(name, next, spawner);
    // Its death while starting is the watcher's to handle; only a ready one is reported back.
    await waitUntil(`${name} to be ready again`, () => spawner.ready(next), next, 60_000)
      .then(() => emit({ kind: "restarted", name, pid: next.child.pid, restarts: count }))
      .catch(() => undefined);
  };

  return {
    /** From now on `child` is restarted when it dies (with a policy). */
    adopt(name: string, child: ManagedProcess, spawner: Spawner) {
      held.delete(name);
      if (policy) watch(name, child, spawner);
    },
    /** `name` is being stopped on purpose: leave it down. */
    hold: (name: string) => held.add(name),
    /** The platform is stopping: restart nothing more. */
    close: () => {
      closed = true;
    },
    restarts: (name: string) => restarts.get(name) ?? 0,
  };
};
