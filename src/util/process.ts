/**
 * Whether a process with this pid exists on this host (one of another user's counts: EPERM). Not a
 * positive integer is no process: kill(0) and kill(-1) would reach a process group and succeed.
 */
export function processRuns(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
