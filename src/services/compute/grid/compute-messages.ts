/**
 * The compute protocol's messages (issue 5, items 4–6; docs/COMPUTE.md, "Jobs on the grid"):
 * request/response over `/peergrid/compute/1.0.0`, one request per stream, each message one
 * dag-cbor map with a `kind`. dag-cbor rather than a hand-made binary form: these messages are
 * small and few beside the blocks (a lease request carries dozens of units), and the outputs and
 * checkpoints inside them are bytes, which CBOR carries as they are.
 *
 *   request    from            answered by
 *   submit     a submitter     submitted | refused      (the manifest's bytes)
 *   manifest   a volunteer     manifest | refused       (to check a job before running it)
 *   lease      a volunteer     leases | refused         (its advert, and how many units it takes)
 *   report     a volunteer     reported | refused       (results, heartbeats with checkpoints)
 *   status     anyone          jobStatus | refused
 *   results    anyone          results | refused        (a page of units, accepted outputs inline or by CID)
 *   cancel     the submitter   cancelled | refused
 *   sync       a coordinator   synced | refused         (to the nodes keeping a copy of its job:
 *                                                        manifest, what changed in its state and the
 *                                                        outputs accepted since the copy's last sync)
 *
 * Decoders never throw: every field is read through CborRecord with a bound, and any problem comes
 * back as `{ ok: false, error }` (the server penalises the sender). Encoders trust their input
 * (our own messages).
 */
import * as DagCbor from '@ipld/dag-cbor';
import { CborRecord, FieldProblem } from '../../../wire/cbor-record.ts';
import { ManifestLimits } from './job-manifest.ts';
import { advertFromCbor, advertToCbor, type ResourceAdvert } from './resource-advert.ts';
import { receiptFromCbor, receiptToCbor, type Receipt } from './receipts.ts';
import { parseStorageCid } from '../../storage/dag/cids.ts';

export const COMPUTE_PROTOCOL = '/peergrid/compute/1.0.0';

export const ComputeLimits = {
  /** A request or response frame: a page of outputs, or a lease batch with checkpoints. */
  messageBytesMax: 8 * 1024 * 1024,
  /** A unit's output sent inline in a report; a larger one goes to the grid as content, and the report names its CID. */
  inlineOutputBytesMax: 1024 * 1024,
  /** A checkpoint carried in a heartbeat or handed out with a lease. */
  checkpointBytesMax: 1024 * 1024,
  leasesPerRequestMax: 256,
  reportsPerRequestMax: 512,
  resultsPerPageMax: 1024,
  jobIdBytesMax: 128,
  /** An Ed25519 signature is 64 bytes; room for other key types. */
  signatureBytesMax: 1024,
  receiptsPerAnswerMax: 4096,
  /** Workers named with a unit's result (its agreeing replicas). */
  workersPerUnitMax: 16,
  argsBytesMax: 4096,
  textBytesMax: 1024,
} as const;

export const JobPhase = { running: 'running', done: 'done', cancelled: 'cancelled', expired: 'expired' } as const;
export type JobPhase = (typeof JobPhase)[keyof typeof JobPhase];

export const ComputeRefusal = {
  unknownJob: 'unknownJob',
  finished: 'finished',
  notQualified: 'notQualified',
  invalid: 'invalid',
  forbidden: 'forbidden',
  busy: 'busy',
  unavailable: 'unavailable',
} as const;
export type ComputeRefusal = (typeof ComputeRefusal)[keyof typeof ComputeRefusal];

/** Unit statuses as a volunteer reports them (the sandbox's, runtime/compute/unit-sandbox.ts). */
export const REPORTED_STATUSES = [
  'ok', 'failed', 'refused', 'timed_out', 'out_of_fuel', 'trapped', 'stack_overflow', 'aborted', 'output_too_large', 'instantiation_failed', 'unavailable',
] as const;
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

export interface LeaseGrant {
  readonly lease: number;
  readonly unit: number;
  readonly args: string;
  /** The unit's input (a CID), or null for none. */
  readonly input: string | null;
  /** The checkpoint a previous worker left, to resume from. */
  readonly checkpoint: Uint8Array | null;
}

export interface UnitReport {
  readonly lease: number;
  readonly status: ReportedStatus;
  /** The output, when status is ok and it is at most inlineOutputBytesMax. */
  readonly output: Uint8Array | null;
  /**
   * A larger output's CID (plain, so that replicas with the same output name the same CID): the
   * worker stored it on the grid, and output is null. Replicas agree when their CIDs do.
   */
  readonly outputCid?: string;
  readonly fuel: number;
  readonly wallMs: number;
}

export interface Heartbeat {
  readonly lease: number;
  readonly progress: number;
  /** The latest checkpoint, when it changed since the last heartbeat. */
  readonly checkpoint: Uint8Array | null;
}

export interface UnitCounts {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly running: number;
}

export interface JobStatusReport {
  readonly jobId: string;
  readonly name: string;
  readonly phase: JobPhase;
  readonly units: UnitCounts;
  readonly submitter: string;
  readonly submittedAtUnixMs: number;
  /** One letter per unit (o open, d done, f failed) for jobs of at most 4,096 units; else null. */
  readonly unitStates: string | null;
  /** Answered by a node keeping a copy of the job (as of its last sync), not by its coordinator. */
  readonly fromCopy: boolean;
}

export interface UnitResultEntry {
  readonly unit: number;
  readonly args: string;
  readonly state: 'open' | 'done' | 'failed';
  readonly output: Uint8Array | null;
  /** sha2-256 of the accepted output, hex; `cid:<cid>` for one stored on the grid. */
  readonly outputHash: string | null;
  /** The CID of an accepted output stored on the grid (fetch it as content), else null. */
  readonly outputCid: string | null;
  readonly fuel: number | null;
  /** The workers whose results were accepted, with what their receipts say (empty when not known). */
  readonly workers: readonly { readonly worker: string; readonly fuel: number; readonly wallMs: number }[];
}

export type ComputeRequest =
  | { readonly kind: 'submit'; readonly manifest: Uint8Array }
  | { readonly kind: 'manifest'; readonly jobId: string }
  | { readonly kind: 'lease'; readonly jobId: string; readonly advert: ResourceAdvert; readonly slots: number }
  | {
    readonly kind: 'report'; readonly jobId: string; readonly results: readonly UnitReport[]; readonly heartbeats: readonly Heartbeat[];
    /** The worker's signature of its claim (receipts.ts, reportClaimBytes). */
    readonly signature: Uint8Array;
    /** How many of its receipts for this job the worker holds: the answer brings those after. */
    readonly receiptsFrom: number;
  }
  | { readonly kind: 'status'; readonly jobId: string }
  | { readonly kind: 'results'; readonly jobId: string; readonly fromUnit: number; readonly unitsMax: number }
  | { readonly kind: 'cancel'; readonly jobId: string }
  | {
    readonly kind: 'sync'; readonly jobId: string; readonly manifest: Uint8Array;
    /** This copy's place among the job's copies (1 first): it takes over after rank × the silence allowed. */
    readonly rank: number;
    /** JobCoordinator.snapshot() as dag-cbor, encoded once for every copy: checked when restored. */
    readonly snapshot: Uint8Array;
    /** Accepted outputs in the order they were accepted, from the `outputsFrom`-th. */
    readonly outputsFrom: number;
    readonly outputs: readonly { readonly unit: number; readonly output: Uint8Array }[];
  };

export type ComputeResponse =
  | { readonly kind: 'submitted'; readonly jobId: string }
  | { readonly kind: 'manifest'; readonly manifest: Uint8Array }
  | { readonly kind: 'leases'; readonly leases: readonly LeaseGrant[]; readonly retryAfterMs: number }
  | {
    readonly kind: 'reported'; readonly lost: readonly number[];
    /**
     * The sender's receipts for its accepted results from the `receiptsFrom`-th it asked for,
     * countersigned together (receipts.ts); signature null when none.
     */
    readonly receiptsFrom: number; readonly receipts: readonly Receipt[]; readonly signature: Uint8Array | null;
  }
  | { readonly kind: 'jobStatus'; readonly status: JobStatusReport }
  | { readonly kind: 'results'; readonly entries: readonly UnitResultEntry[]; readonly nextUnit: number | null; readonly fromCopy: boolean }
  | { readonly kind: 'cancelled' }
  /** What the copy holds of the coordinator's accepted outputs, settled units and receipts, each in the coordinator's order: the next sync starts there. */
  | { readonly kind: 'synced'; readonly outputsHeld: number; readonly settledHeld: number; readonly receiptsHeld: number }
  | { readonly kind: 'refused'; readonly reason: ComputeRefusal; readonly message: string };

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function encodeComputeMessage(message: ComputeRequest | ComputeResponse): Uint8Array {
  return DagCbor.encode(toCbor(message));
}

const REQUEST_KINDS = ['submit', 'manifest', 'lease', 'report', 'status', 'results', 'cancel', 'sync'] as const;
const RESPONSE_KINDS = ['submitted', 'manifest', 'leases', 'reported', 'jobStatus', 'results', 'cancelled', 'synced', 'refused'] as const;

export function decodeComputeRequest(bytes: Uint8Array): Decoded<ComputeRequest> {
  return decodeWith(bytes, (record) => readRequest(record, record.oneOf('kind', REQUEST_KINDS)));
}

export function decodeComputeResponse(bytes: Uint8Array): Decoded<ComputeResponse> {
  return decodeWith(bytes, (record) => readResponse(record, record.oneOf('kind', RESPONSE_KINDS)));
}

function decodeWith<T>(bytes: Uint8Array, read: (record: CborRecord) => T): Decoded<T> {
  if (bytes.length > ComputeLimits.messageBytesMax) return { ok: false, error: `message of ${bytes.length} bytes, over ${ComputeLimits.messageBytesMax}` };
  let value: unknown;
  try {
    value = DagCbor.decode(bytes);
  } catch (error) {
    return { ok: false, error: `not dag-cbor: ${(error as Error).message}` };
  }
  try {
    return { ok: true, value: read(new CborRecord(value, '')) };
  } catch (error) {
    if (error instanceof FieldProblem) return { ok: false, error: error.message };
    throw error;
  }
}

function readRequest(record: CborRecord, kind: (typeof REQUEST_KINDS)[number]): ComputeRequest {
  const jobId = (): string => record.text('jobId', ComputeLimits.jobIdBytesMax);
  switch (kind) {
    case 'submit': return { kind, manifest: record.bytes('manifest', ManifestLimits.manifestBytesMax) };
    case 'manifest': return { kind, jobId: jobId() };
    case 'lease': return { kind, jobId: jobId(), advert: readAdvert(record), slots: record.integer('slots', 1, ComputeLimits.leasesPerRequestMax) };
    case 'report': return {
      kind, jobId: jobId(),
      results: record.list('results', ComputeLimits.reportsPerRequestMax, readUnitReport),
      heartbeats: record.list('heartbeats', ComputeLimits.reportsPerRequestMax, readHeartbeat),
      signature: record.bytes('signature', ComputeLimits.signatureBytesMax),
      receiptsFrom: record.integer('receiptsFrom', 0, 2 ** 32),
    };
    case 'status': return { kind, jobId: jobId() };
    case 'results': return { kind, jobId: jobId(), fromUnit: record.integer('fromUnit', 0, 2 ** 32), unitsMax: record.integer('unitsMax', 1, ComputeLimits.resultsPerPageMax) };
    case 'cancel': return { kind, jobId: jobId() };
    case 'sync': return {
      kind, jobId: jobId(), manifest: record.bytes('manifest', ManifestLimits.manifestBytesMax), rank: record.integer('rank', 1, 16),
      snapshot: record.bytes('snapshot', ComputeLimits.messageBytesMax), outputsFrom: record.integer('outputsFrom', 0, 2 ** 32),
      outputs: record.list('outputs', ComputeLimits.resultsPerPageMax, (item, path) => {
        const output = new CborRecord(item, path);
        return { unit: output.integer('unit', 0, 2 ** 32), output: output.bytes('output', ComputeLimits.inlineOutputBytesMax) };
      }),
    };
  }
}

function readResponse(record: CborRecord, kind: (typeof RESPONSE_KINDS)[number]): ComputeResponse {
  switch (kind) {
    case 'submitted': return { kind, jobId: record.text('jobId', ComputeLimits.jobIdBytesMax) };
    case 'manifest': return { kind, manifest: record.bytes('manifest', ManifestLimits.manifestBytesMax) };
    case 'leases': return { kind, leases: record.list('leases', ComputeLimits.leasesPerRequestMax, readLeaseGrant), retryAfterMs: record.integer('retryAfterMs', 0, 3_600_000) };
    case 'reported': return {
      kind, lost: record.list('lost', ComputeLimits.reportsPerRequestMax * 2, (item, path) => leaseNumber(item, path)),
      receiptsFrom: record.integer('receiptsFrom', 0, 2 ** 32),
      receipts: record.list('receipts', ComputeLimits.receiptsPerAnswerMax, receiptFromCbor),
      signature: record.bytesOrNull('signature', ComputeLimits.signatureBytesMax),
    };
    case 'jobStatus': return { kind, status: readJobStatus(record.record('status')) };
    case 'results': return { kind, entries: record.list('entries', ComputeLimits.resultsPerPageMax, readResultEntry), nextUnit: record.integerOrNull('nextUnit', 0, 2 ** 32), fromCopy: record.boolean('fromCopy') };
    case 'cancelled': return { kind };
    case 'synced': return { kind, outputsHeld: record.integer('outputsHeld', 0, 2 ** 32), settledHeld: record.integer('settledHeld', 0, 2 ** 32), receiptsHeld: record.integer('receiptsHeld', 0, 2 ** 32) };
    case 'refused': return { kind, reason: record.oneOf('reason', Object.values(ComputeRefusal)), message: record.text('message', ComputeLimits.textBytesMax) };
  }
}

function readAdvert(record: CborRecord): ResourceAdvert {
  const advert = record.field('advert');
  return advertFromCbor(advert.value, advert.path);
}

function leaseNumber(item: unknown, path: string): number {
  if (typeof item !== 'number' || !Number.isSafeInteger(item) || item < 1) throw new FieldProblem(`${path}: not a lease number`);
  return item;
}

function readLeaseGrant(item: unknown, path: string): LeaseGrant {
  const record = new CborRecord(item, path);
  return {
    lease: record.integer('lease', 1, Number.MAX_SAFE_INTEGER),
    unit: record.integer('unit', 0, 2 ** 32),
    args: record.text('args', ComputeLimits.argsBytesMax),
    input: record.textOrNull('input', ComputeLimits.jobIdBytesMax),
    checkpoint: record.bytesOrNull('checkpoint', ComputeLimits.checkpointBytesMax),
  };
}

function readUnitReport(item: unknown, path: string): UnitReport {
  const record = new CborRecord(item, path);
  return {
    lease: record.integer('lease', 1, Number.MAX_SAFE_INTEGER),
    status: record.oneOf('status', REPORTED_STATUSES),
    output: record.bytesOrNull('output', ComputeLimits.inlineOutputBytesMax),
    ...(record.has('outputCid') ? { outputCid: cidText(record, 'outputCid') } : {}),
    fuel: record.integer('fuel', 0, Number.MAX_SAFE_INTEGER),
    wallMs: record.integer('wallMs', 0, 7 * 24 * 3600 * 1000),
  };
}

function cidText(record: CborRecord, name: string): string {
  const text = record.text(name, 128);
  if (parseStorageCid(text) === null) throw new FieldProblem(`${name}: not a CID`);
  return text;
}

function readHeartbeat(item: unknown, path: string): Heartbeat {
  const record = new CborRecord(item, path);
  return {
    lease: record.integer('lease', 1, Number.MAX_SAFE_INTEGER),
    progress: record.number('progress', 0, 1),
    checkpoint: record.bytesOrNull('checkpoint', ComputeLimits.checkpointBytesMax),
  };
}

function readJobStatus(record: CborRecord): JobStatusReport {
  const units = record.record('units');
  return {
    jobId: record.text('jobId', ComputeLimits.jobIdBytesMax),
    name: record.text('name', ComputeLimits.textBytesMax),
    phase: record.oneOf('phase', Object.values(JobPhase)),
    units: {
      total: units.integer('total', 0, 2 ** 32), done: units.integer('done', 0, 2 ** 32),
      failed: units.integer('failed', 0, 2 ** 32), running: units.integer('running', 0, 2 ** 32),
    },
    submitter: record.text('submitter', ComputeLimits.textBytesMax),
    submittedAtUnixMs: record.integer('submittedAtUnixMs', 0, Number.MAX_SAFE_INTEGER),
    unitStates: record.textOrNull('unitStates', 4096),
    fromCopy: record.boolean('fromCopy'),
  };
}

function readResultEntry(item: unknown, path: string): UnitResultEntry {
  const record = new CborRecord(item, path);
  return {
    unit: record.integer('unit', 0, 2 ** 32),
    args: record.text('args', ComputeLimits.argsBytesMax),
    state: record.oneOf('state', ['open', 'done', 'failed'] as const),
    output: record.bytesOrNull('output', ComputeLimits.inlineOutputBytesMax),
    outputHash: record.textOrNull('outputHash', 140),
    outputCid: record.has('outputCid') && record.field('outputCid').value !== null ? cidText(record, 'outputCid') : null,
    fuel: record.integerOrNull('fuel', 0, Number.MAX_SAFE_INTEGER),
    workers: record.list('workers', ComputeLimits.workersPerUnitMax, (worker, workerPath) => {
      const fields = new CborRecord(worker, workerPath);
      return { worker: fields.text('worker', 128), fuel: fields.integer('fuel', 0, Number.MAX_SAFE_INTEGER), wallMs: fields.integer('wallMs', 0, 7 * 24 * 3600 * 1000) };
    }),
  };
}

/** The message as a dag-cbor value: no undefined (dag-cbor refuses it), the advert flattened. */
function toCbor(message: ComputeRequest | ComputeResponse): Record<string, unknown> {
  if (message.kind === 'lease') return { ...message, advert: advertToCbor(message.advert) };
  if (message.kind === 'jobStatus') return { kind: message.kind, status: { ...message.status, units: { ...message.status.units } } };
  if (message.kind === 'reported') return { ...message, receipts: message.receipts.map(receiptToCbor) };
  return { ...message };
}
