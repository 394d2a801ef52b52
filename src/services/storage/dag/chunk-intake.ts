/**
 * What every file DAG builder checks of its input, plain or encrypted: the fan-out it is given,
 * chunk sizes, the running file size, and no use after finishing.
 */
import { DagError } from './dag-error.ts';
import { DagLimits } from './limits.ts';

export function checkFanOut(linksPerNodeMax: number): number {
  if (!Number.isInteger(linksPerNodeMax) || linksPerNodeMax < 2 || linksPerNodeMax > DagLimits.fileLinksPerNodeMax) {
    throw new RangeError(`linksPerNodeMax must be an integer in [2, ${DagLimits.fileLinksPerNodeMax}]`);
  }
  return linksPerNodeMax;
}

export class ChunkIntake {
  private fileBytes = 0;
  private finished = false;

  /** Counts a chunk in; false for an empty one (nothing to store), throws on a bad one. */
  accept(chunk: Uint8Array): boolean {
    if (this.finished) throw new Error('the file DAG is finished');
    if (chunk.length > DagLimits.blockBytesMax) throw new RangeError(`a chunk is at most ${DagLimits.blockBytesMax} bytes`);
    if (chunk.length === 0) return false;
    this.fileBytes += chunk.length;
    if (this.fileBytes > DagLimits.fileBytesMax) throw new DagError(`a file is at most ${DagLimits.fileBytesMax} bytes`);
    return true;
  }

  finish(): void {
    if (this.finished) throw new Error('the file DAG is finished');
    this.finished = true;
  }
}
