/** Tells the server every `everyMs` that a long handler is still at it, so its message is not handed to another. */
export const whileWorking = async <T>(working: () => void, everyMs: number, work: () => Promise<T>): Promise<T> => {
  const timer = setInterval(working, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
};
