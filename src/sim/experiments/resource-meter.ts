/**
 * Wall-clock time and memory of the simulator process, for reports only. This is the one place the
 * simulator reads the real clock, and what it reads never feeds back into the simulated run.
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
}
