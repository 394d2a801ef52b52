/**
 * Accounting for work (issue 5, item 7; Xenoservers' accountable execution, seed §5.2): what a
 * worker claims and what a coordinator grants, both signed, so that a ledger of work given and
 * received rests on more than one side's word.
 *
 * - A worker signs each report it sends (`reportClaimBytes`: the job, and per result the lease,
 *   status, output hash, fuel and wall time): its claim.
 * - When a unit is accepted, the coordinator issues a receipt to each worker whose result agreed —
 *   (job, unit, worker, fuel, wall time, output hash) — and countersigns the receipts it hands a
 *   worker in one batch (`receiptBatchBytes`). Batched: one signature per answer, not per unit (a
 *   trivial unit costs far less than an Ed25519 signature). A worker's receipts are kept in the
 *   order issued, and a worker asks from the count it holds, so a lost answer loses none.
 *
 * The bytes signed are canonical dag-cbor of plain fields, so any node can check a signature from
 * the signer's peer id (Ed25519 keys are inside libp2p peer ids). Pure: signing and checking are
 * the caller's.
 */
import * as DagCbor from '@ipld/dag-cbor';
import { CborRecord } from '../../../wire/cbor-record.ts';
import type { UnitReport } from './compute-messages.ts';
import { reportedOutputKey } from './output-key.ts';

export interface Receipt {
  readonly jobId: string;
  readonly unit: number;
  /** The worker's libp2p peer id. */
  readonly worker: string;
  readonly fuel: number;
  readonly wallMs: number;
  /** sha2-256 of the accepted output, hex. */
  readonly outputHash: string;
}

/** What a worker signs when it reports: its claim of what it ran and what came out. */
export function reportClaimBytes(jobId: string, results: readonly UnitReport[], outputHashOf: (output: Uint8Array) => string): Uint8Array {
  return DagCbor.encode({
    purpose: 'peergrid/compute/report/1',
    jobId,
    results: results.map((result) => ({ lease: result.lease, status: result.status, outputHash: reportedOutputKey(result, outputHashOf), fuel: result.fuel, wallMs: result.wallMs })),
  });
}

/** What a coordinator signs when it hands out receipts (the worker's from the `from`-th). */
export function receiptBatchBytes(coordinator: string, from: number, receipts: readonly Receipt[]): Uint8Array {
  return DagCbor.encode({ purpose: 'peergrid/compute/receipts/1', coordinator, from, receipts: receipts.map(receiptToCbor) });
}

export function receiptToCbor(receipt: Receipt): Record<string, unknown> {
  return { jobId: receipt.jobId, unit: receipt.unit, worker: receipt.worker, fuel: receipt.fuel, wallMs: receipt.wallMs, outputHash: receipt.outputHash };
}

export function receiptFromCbor(value: unknown, path: string): Receipt {
  const record = new CborRecord(value, path);
  return {
    jobId: record.text('jobId', 128),
    unit: record.integer('unit', 0, 2 ** 32),
    worker: record.text('worker', 128),
    fuel: record.integer('fuel', 0, Number.MAX_SAFE_INTEGER),
    wallMs: record.integer('wallMs', 0, 7 * 24 * 3600 * 1000),
    outputHash: record.text('outputHash', 64),
  };
}

/** A receipt's identity: a worker is paid once per unit of a job. */
export function receiptKey(receipt: Pick<Receipt, 'jobId' | 'unit' | 'worker'>): string {
  return `${receipt.jobId}/${receipt.unit}/${receipt.worker}`;
}
