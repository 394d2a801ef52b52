/**
 * What a work unit's module must be before any volunteer runs it (issue 5, item 3): a valid
 * WebAssembly module that imports nothing outside the host ABI (host-abi.ts), whose memory and
 * tables have a maximum within the caps, without threads' shared memory or 64-bit memory, and that
 * exports `run() -> i32`. Checked from the bytes alone, before compiling, so a hostile module is
 * refused with every reason at once and never reaches an engine with rights it should not have.
 *
 * The caps bound what a unit can take from a volunteer: memory by its maximum (the host also
 * creates an imported memory with exactly that maximum, since worker resource limits do not cap
 * WebAssembly memory), tables likewise, and the module itself by its size.
 */
import { abiFunction, ABI_ENTRY, ABI_MEMORY } from './host-abi.ts';
import { ExternalKind, readModuleSections, type FunctionType, type Limits, type ModuleSections } from './module-sections.ts';
import { WasmFormatError } from './wasm-cursor.ts';

export interface ModulePolicy {
  readonly moduleBytesMax: number;
  /** 64 KiB pages of linear memory. */
  readonly memoryPagesMax: number;
  readonly tableElementsMax: number;
  readonly functionsMax: number;
}

export const DEFAULT_MODULE_POLICY: ModulePolicy = {
  // A compiled AssemblyScript program is tens of KiB; 16 MiB leaves room for embedded tables and data.
  moduleBytesMax: 16 * 1024 * 1024,
  // 4,096 pages = 256 MiB: the most a unit may hold by default; a volunteer's own setting may lower it.
  memoryPagesMax: 4096,
  tableElementsMax: 100_000,
  functionsMax: 100_000,
};

export interface ModuleReport {
  readonly ok: boolean;
  /** Every reason the module is refused (empty when ok). */
  readonly problems: readonly string[];
  /** The memory the unit gets: pages at start and at most. Undefined when refused before it was known. */
  readonly memory?: { readonly imported: boolean; readonly minPages: number; readonly maxPages: number };
  readonly sections?: ModuleSections;
}

/** Checks a module against the policy. Never throws: a malformed module is a problem like any other. */
export function checkModule(bytes: Uint8Array, policy: ModulePolicy = DEFAULT_MODULE_POLICY, engineValidates: (bytes: Uint8Array) => boolean = validateWithEngine): ModuleReport {
  if (!(bytes instanceof Uint8Array)) return refused(['the program is not bytes']);
  if (bytes.length > policy.moduleBytesMax) return refused([`the module has ${bytes.length} bytes; at most ${policy.moduleBytesMax} are accepted`]);
  let sections: ModuleSections;
  try {
    sections = readModuleSections(bytes);
  } catch (error) {
    if (error instanceof WasmFormatError) return refused([`malformed module ${error.message}`]);
    throw error;
  }
  const problems: string[] = [];
  if (!engineValidates(bytes)) problems.push('the WebAssembly engine finds the module invalid');
  checkImports(sections, problems);
  const memory = checkMemory(sections, policy, problems);
  checkTables(sections, policy, problems);
  if (sections.functionTypes.length > policy.functionsMax) problems.push(`the module defines ${sections.functionTypes.length} functions; at most ${policy.functionsMax}`);
  checkEntry(sections, problems);
  return { ok: problems.length === 0, problems, memory, sections };
}

function refused(problems: string[]): ModuleReport {
  return { ok: false, problems };
}

/** The engine's full validation (WebAssembly.validate; this project's TypeScript libraries do not declare the API). */
function validateWithEngine(bytes: Uint8Array): boolean {
  const api = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  return api !== undefined && api.validate(bytes);
}

function checkImports(sections: ModuleSections, problems: string[]): void {
  for (const entry of sections.imports) {
    const where = `${JSON.stringify(entry.module)}.${JSON.stringify(entry.name)}`;
    if (entry.kind === ExternalKind.memory) {
      if (entry.module !== ABI_MEMORY.module || entry.name !== ABI_MEMORY.name) problems.push(`imports a memory as ${where}; the only memory import is "env"."memory"`);
      continue;
    }
    if (entry.kind !== ExternalKind.function) {
      problems.push(`imports a ${entry.kind === ExternalKind.table ? 'table' : 'global'} ${where}: the host ABI offers none`);
      continue;
    }
    const call = abiFunction(entry.module, entry.name);
    if (call === undefined) {
      problems.push(`imports ${where}, which is not in the host ABI (no file system, network, clock or randomness but the ABI's)`);
      continue;
    }
    const type = sections.types[entry.typeIndex];
    if (type === undefined || !sameSignature(type, call)) {
      problems.push(`imports ${where} as ${describe(type)}; the ABI's is ${describe(call)}`);
    }
  }
}

function checkMemory(sections: ModuleSections, policy: ModulePolicy, problems: string[]): ModuleReport['memory'] {
  const imported = sections.imports.filter((entry) => entry.kind === ExternalKind.memory).map((entry) => (entry as { limits: Limits }).limits);
  const all = [...imported, ...sections.memories];
  if (all.length === 0) return undefined;
  if (all.length > 1) problems.push(`the module has ${all.length} memories; a unit has one`);
  const memory = all[0];
  if (memory.shared) problems.push('the memory is shared (threads): a unit runs on one thread');
  if (memory.memory64) problems.push('the memory is 64-bit: a unit\'s memory is 32-bit');
  if (memory.max === undefined) {
    problems.push(`the memory has no maximum: declare one of at most ${policy.memoryPagesMax} pages (AssemblyScript: --maximumMemory)`);
    return undefined;
  }
  if (memory.max > policy.memoryPagesMax) problems.push(`the memory's maximum is ${memory.max} pages; at most ${policy.memoryPagesMax} are allowed`);
  if (memory.min > memory.max) problems.push(`the memory starts at ${memory.min} pages, above its maximum of ${memory.max}`);
  return { imported: imported.length > 0, minPages: memory.min, maxPages: Math.min(memory.max, policy.memoryPagesMax) };
}

function checkTables(sections: ModuleSections, policy: ModulePolicy, problems: string[]): void {
  // A table without a maximum is allowed: growing it is bounded by the engine (V8: 10^7 elements)
  // and each table.grow costs fuel like any instruction.
  for (const table of sections.tables) {
    if (table.min > policy.tableElementsMax) problems.push(`a table starts with ${table.min} elements; at most ${policy.tableElementsMax}`);
    else if (table.max !== undefined && table.max > policy.tableElementsMax) problems.push(`a table's maximum is ${table.max} elements; at most ${policy.tableElementsMax}`);
  }
}

function checkEntry(sections: ModuleSections, problems: string[]): void {
  const entry = sections.exports.find((item) => item.name === ABI_ENTRY.name);
  if (entry === undefined || entry.kind !== ExternalKind.function) {
    problems.push('the module does not export a function "run"');
    return;
  }
  const importedFunctions = sections.imports.filter((item) => item.kind === ExternalKind.function).length;
  const typeIndex = entry.index < importedFunctions ? undefined : sections.functionTypes[entry.index - importedFunctions];
  const type = typeIndex === undefined ? undefined : sections.types[typeIndex];
  if (type === undefined || !sameSignature(type, ABI_ENTRY)) problems.push(`"run" is ${describe(type)}; it must be ${describe(ABI_ENTRY)}`);
}

function sameSignature(a: FunctionType, b: { readonly params: readonly number[]; readonly results: readonly number[] }): boolean {
  return a.params.length === b.params.length && a.results.length === b.results.length && a.params.every((type, index) => type === b.params[index]) && a.results.every((type, index) => type === b.results[index]);
}

const TYPE_NAMES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

function describe(type: { readonly params: readonly number[]; readonly results: readonly number[] } | undefined): string {
  if (type === undefined) return 'not a known function type';
  const names = (types: readonly number[]): string => types.map((code) => TYPE_NAMES[code] ?? `0x${code.toString(16)}`).join(', ');
  return `(${names(type.params)}) -> (${names(type.results)})`;
}
