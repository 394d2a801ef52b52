/**
 * V8's garbage collector, tuned for a process that moves bulk data: a node serving and fetching
 * blocks, or adding files.
 *
 * Every block read, received, decrypted by Noise or cut by the chunker lives in an ArrayBuffer
 * outside V8's heap. By default V8 starts a full mark of the heap each time such external memory
 * has grown by a fixed amount (64 MiB) since the last one, whatever the heap's size: a fetch of
 * 256 MiB set off 25–32 major collections, and the GC's helper threads used about as much CPU as
 * the main threads (`perf` over `bench/storage/single-source-get.ts`, 2026-11-28). With
 * `--external-memory-accounted-in-global-limit` external memory counts against the heap's own
 * growing limit instead, and collections come far less often.
 *
 * Measured on 2026-11-28 (alternating runs of `node bench/storage/single-source-get.ts`, the two
 * grid nodes with and without it): a 256 MiB fetch at 148.6, 158.7 and 150.4 MiB/s against 100.8,
 * 106.0 and 108.7; 1 GiB at 165.0 against 116.2; peak RSS per node 388–499 MB against 289–342 MB
 * (it grows with how much is in flight, not with the file: 388–432 MB for the 1 GiB fetch).
 *
 * That still left a major collection every ~20 MiB of a fetch on a small heap: V8 lets the heap
 * (and, with the flag above, the external memory) grow only by a factor it picks from its GC speed
 * (1.1–4; here it picked low) before the next full mark, and a node moving blocks has ~30 MB of
 * heap and tens of MB of blocks in flight, so the limit sat a few MB above them. With
 * `--heap-growing-percent=200` the limit is 3× what survived the last mark. Measured on 2026-11-28
 * (the Intel VM; a throwaway script counting each process's major collections over a 256 MiB fetch
 * between two bench/storage/grid-node.ts processes, alternating): 11–12 and 9–11 major collections
 * (source, getter) and 99.1–105.5 MiB/s with the default, 0 and 2–3 and 121.6–151.0 MiB/s with
 * 200 (factor 2: 6–7 each and 106–110 MiB/s; 300: 0 and 1, 123–138 MiB/s, more memory); the two
 * processes' CPU per fetch fell from 4.4–4.6 to 3.0–3.7 s. Peak RSS per node 491–519 MB against
 * 433–503 MB.
 *
 * Process-wide, so it is set by the process's entry point (`peergrid node start`, the benchmarks'
 * node), never by the runtime as a library: an embedder keeps its own GC settings.
 */
import { setFlagsFromString } from 'node:v8';

export const BULK_DATA_V8_FLAGS = '--external-memory-accounted-in-global-limit --heap-growing-percent=200';

let tuned = false;

/** Applies BULK_DATA_V8_FLAGS to this process, once; best called before any bulk work starts. */
export function tuneHeapForBulkData(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString(BULK_DATA_V8_FLAGS);
}
