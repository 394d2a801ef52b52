/**
 * A job as it travels (issue 5, items 1 and 4): the job.json a user wrote, with its program and
 * input files replaced by the CIDs they were stored under, signed off by who submitted it and when.
 * The manifest's bytes are canonical JSON (we write them; readers re-parse them with parseJobSpec),
 * and the job's id is their CID (raw, sha2-256): any node that holds the bytes can check it was given
 * the right job, and the job's coordinators are the nodes closest to sha256(id) (job-key.ts).
 */
import { Codec, cidOf, parseStorageCid, type Sha256 } from '../../storage/dag/cids.ts';
import { parseJobSpec, type JobSpec, type UnitSource } from '../jobs/job-spec.ts';

export interface JobManifest {
  readonly spec: JobSpec;
  /** The libp2p peer id of the node that submitted it: only it may cancel the job. */
  readonly submitter: string;
  readonly submittedAtUnixMs: number;
}

export const ManifestLimits = {
  /** A million argument strings would not fit; such jobs use a sweep or a grid. */
  manifestBytesMax: 4 * 1024 * 1024,
} as const;

const MANIFEST_VERSION = 1;

export function encodeManifest(manifest: JobManifest): Uint8Array {
  const { spec } = manifest;
  const value = {
    version: MANIFEST_VERSION,
    submitter: manifest.submitter,
    submittedAtUnixMs: manifest.submittedAtUnixMs,
    job: {
      name: spec.name,
      program: spec.program,
      units: unitsToJson(spec.units),
      requirements: { ...spec.requirements, domains: [...spec.requirements.domains] },
      rank: spec.rank,
      validation: spec.adaptive === null ? { ...spec.validation } : { ...spec.adaptive },
      limits: { ...spec.limits, fuelMax: Number(spec.limits.fuelMax) },
      deadlineSeconds: spec.deadlineSeconds,
    },
  };
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  if (bytes.length > ManifestLimits.manifestBytesMax) throw new RangeError(`the job's manifest has ${bytes.length} bytes, over ${ManifestLimits.manifestBytesMax}: use a sweep or a grid rather than a list of arguments`);
  return bytes;
}

export type DecodedManifest = { readonly ok: true; readonly manifest: JobManifest } | { readonly ok: false; readonly error: string };

/** Reads a manifest from a peer; never throws. Its program and inputs must be CIDs. */
export function decodeManifest(bytes: Uint8Array): DecodedManifest {
  if (bytes.length > ManifestLimits.manifestBytesMax) return { ok: false, error: `manifest over ${ManifestLimits.manifestBytesMax} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return { ok: false, error: `manifest is not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'manifest is not an object' };
  const record = value as Record<string, unknown>;
  if (record.version !== MANIFEST_VERSION) return { ok: false, error: `manifest version ${String(record.version)} (this node reads ${MANIFEST_VERSION})` };
  if (typeof record.submitter !== 'string' || record.submitter.length === 0 || record.submitter.length > 128) return { ok: false, error: 'manifest.submitter: not a peer id' };
  if (typeof record.submittedAtUnixMs !== 'number' || !Number.isSafeInteger(record.submittedAtUnixMs) || record.submittedAtUnixMs < 0) return { ok: false, error: 'manifest.submittedAtUnixMs: not a time' };
  const parsed = parseJobSpec(record.job);
  if (!parsed.ok) return { ok: false, error: `manifest.job: ${parsed.problems.join('; ')}` };
  if (parseStorageCid(parsed.spec.program) === null) return { ok: false, error: 'manifest.job.program: not a CID' };
  if (parsed.spec.units.kind === 'inputs' && parsed.spec.units.inputs.some((input) => parseStorageCid(input) === null)) return { ok: false, error: 'manifest.job.units.inputs: every input must be a CID' };
  return { ok: true, manifest: { spec: parsed.spec, submitter: record.submitter, submittedAtUnixMs: record.submittedAtUnixMs } };
}

/** The job's id: the CID of its manifest's bytes. */
export function jobIdOf(manifestBytes: Uint8Array, sha256: Sha256): string {
  return cidOf(Codec.raw, manifestBytes, sha256).toString();
}

function unitsToJson(units: UnitSource): Record<string, unknown> {
  switch (units.kind) {
    case 'args': return { args: [...units.args] };
    case 'sweep': return { sweep: { from: units.from, to: units.to, step: units.step }, template: units.template };
    case 'grid': return { grid: Object.fromEntries(Object.entries(units.parameters).map(([name, values]) => [name, [...values]])), template: units.template };
    case 'inputs': return { inputs: [...units.inputs], template: units.template };
  }
}
