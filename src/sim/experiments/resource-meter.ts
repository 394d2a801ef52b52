/**
 * Wall-clock time, CPU time and memory of the simulator process, for reports only. This is the one
 * place the simulator reads the real clock, and what it reads never feeds back into the simulated run.
 */
export class ResourceMeter {
  private readonly startedAt = performance.now();
  rssBytesMax = process.memoryUsage.rss();

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.rssBytesMax) this.rssBytesMax = rss;
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /**
   * CPU time this thread has used, in ms: what a run costs when other work on the machine, or a
   * wait for another thread, stretches its wall time. A thread's own figure where Node has one
   * (process.threadCpuUsage, Node ≥ 23.9); the process's otherwise.
   */
  cpuMs(): number {
    const usage = typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
}
