/** Whether a container runtime answers, for suites that start their infrastructure with Testcontainers. */
const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

/** Does a container runtime answer? Asks Testcontainers, which knows DOCKER_HOST, the sockets, rootless and ~/.testcontainers.properties. */
export const dockerEngine = async (): Promise<{ answers: boolean; reason?: string }> => {
  let testcontainers: typeof import("testcontainers");
  try {
    testcontainers = await import("testcontainers");
  } catch (error) {
    return { answers: false, reason: `the testcontainers module does not load (${(error as Error).message})` };
  }
  try {
    const client = await withTimeout(testcontainers.getContainerRuntimeClient(), 15_000, "the Docker engine");
    return { answers: true, reason: client.info.containerRuntime.host };
  } catch (error) {
    return { answers: false, reason: (error as Error).message };
  }
};
