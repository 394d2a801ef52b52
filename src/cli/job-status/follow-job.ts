/**
 * Follows a job until it ends (`job submit --wait`, `job status --watch`): asks for its status
 * twice a second and, on a terminal, draws a progress line — units done of all, failed, running,
 * the rate and the time left.
 */
import type { ApiClient } from '../../api/client.ts';
import type { ResponseOf } from '../../api/routes.ts';
import { CommandFailedError, type CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';

export type JobStatus = ResponseOf<'jobStatus'>;

const POLL_INTERVAL_MS = 500;

export async function followJob(api: ApiClient, baseUrl: string, jobId: string, io: CliIo, json: boolean, timeoutMs: number | null): Promise<JobStatus> {
  const startedMs = performance.now();
  const draw = !json && io.errIsTty === true;
  let firstDone: number | null = null;
  try {
    for (;;) {
      const status = await callApi(baseUrl, () => api.jobStatus({ jobId }));
      if (status.state !== 'running') return status;
      const elapsedMs = performance.now() - startedMs;
      firstDone ??= status.units.done;
      if (draw) io.err(`\r${jobProgressText(status, elapsedMs, status.units.done - firstDone)}\x1b[K`);
      if (timeoutMs !== null && elapsedMs > timeoutMs) {
        throw new CommandFailedError(`job ${jobId} still running after ${Math.round(elapsedMs / 1000)} s (${status.units.done} of ${status.units.total} units done); it goes on: see 'peergrid job status ${jobId}'`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  } finally {
    if (draw) io.err('\r\x1b[K');
  }
}

/** "job 37 of 48 units (77%), 0 failed, 4 running  12.5 units/s  ETA 1s". */
export function jobProgressText(status: JobStatus, elapsedMs: number, doneSinceStart: number): string {
  const { total, done, failed, running } = status.units;
  const settled = done + failed;
  const percent = total === 0 ? 100 : Math.floor((settled / total) * 100);
  const rate = elapsedMs > 0 ? doneSinceStart / (elapsedMs / 1000) : 0;
  let text = `job ${done} of ${total} units (${percent}%), ${failed} failed, ${running} running`;
  if (rate > 0) text += `  ${rate.toFixed(1)} units/s  ETA ${Math.ceil((total - settled) / rate)}s`;
  return text;
}
