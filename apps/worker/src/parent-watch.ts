/**
 * For workers spawned by a coordinator: exit when that process is gone, even if
 * it died by SIGKILL and could not stop us. Polls with signal 0 (an existence check).
 */
export function watchParent(pid: number, onGone: () => void, intervalMs = 1_000): () => void {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") {
        clearInterval(timer);
        onGone();
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
