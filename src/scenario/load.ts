// Loading scenario files: YAML is parsed with positions kept, validated against the zod schema,
// then checked for meaning (checks provided by some workload, known variants). Every problem becomes
// one line `file:line:col: message`, all of them at once, with a did-you-mean for misspelt keys.

import { readFileSync } from "node:fs";
import { isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { isKernelVariant, KERNEL_VARIANTS } from "../kernel/index.js";
import { findProgram, KERNEL_CHECKS } from "./registry.js";
import { type Scenario, scenarioSchema } from "./schema.js";

export interface ScenarioProblem {
  line: number;
  col: number;
  message: string;
}

/** Bad scenario input: `problems` are one line each; `message` has them all as `file:line:col: …`. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
  constructor(
    readonly file: string,
    readonly problems: readonly ScenarioProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`).join("\n"));
  }
}

/** Edit distance, for did-you-mean suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3));
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d <= bestDistance && (best === null || d < bestDistance)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === null ? "" : ` (did you mean '${best}'?)`;
}

/** Keys allowed by the object schema at `path` of the data, found by walking the zod definitions. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definitions
  let def: any = (schema as any)._zod.def;
  let value: unknown = data;
  let i = 0;
  for (let guard = 0; guard < 64; guard++) {
    if (
      def.type === "optional" ||
      def.type === "default" ||
      def.type === "prefault" ||
      def.type === "nullable"
    ) {
      def = def.innerType._zod.def;
    } else if (def.type === "pipe") {
      def = def.in._zod.def;
    } else if (def.type === "union") {
      const discriminator: string | undefined = def.discriminator;
      const tag =
        discriminator !== undefined && typeof value === "object" && value !== null
          ? (value as Record<string, unknown>)[discriminator]
          : undefined;
      const match = def.options.find(
        // biome-ignore lint/suspicious/noExplicitAny: zod internals
        (o: any) =>
          o._zod.def.type === "object" &&
          (discriminator === undefined || o._zod.def.shape[discriminator]?._zod.def.values?.includes(tag)),
      );
      if (match === undefined) return [];
      def = match._zod.def;
    } else if (i === path.length) {
      return def.type === "object" ? Object.keys(def.shape) : [];
    } else if (def.type === "object") {
      const key = String(path[i++]);
      if (def.shape[key] === undefined) return [];
      def = def.shape[key]._zod.def;
      value = (value as Record<string, unknown> | undefined)?.[key];
    } else if (def.type === "array") {
      value = (value as unknown[] | undefined)?.[Number(path[i++])];
      def = def.element._zod.def;
    } else {
      return [];
    }
  }
  return [];
}

interface Located {
  doc: ReturnType<typeof parseDocument>;
  lines: LineCounter;
}

/** Position of the node at `path`, or of its nearest existing ancestor; `key` points at a map key. */
function position(src: Located, path: readonly PropertyKey[], key?: string): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = src.doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
    if (node === undefined || node === null) continue;
    let offset = node.range?.[0] ?? 0;
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range != null) offset = keyNode.range[0];
    }
    return src.lines.linePos(offset);
  }
  return { line: 1, col: 1 };
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): { message: string; key?: string }[] {
  const at = issue.path.length === 0 ? "the scenario" : `'${issue.path.join(".")}'`;
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = keysAt(scenarioSchema(), issue.path, data);
      return issue.keys.map((key) => ({
        key,
        message: `unknown key '${key}' in ${at}${didYouMean(key, allowed)}`,
      }));
    }
    case "invalid_union": {
      const note = issue as unknown as { discriminator?: string; options?: unknown[] };
      if (note.discriminator === "program") {
        const programs = (note.options ?? []).map(String);
        const given = String(
          issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], data),
        );
        return [
          {
            message: `unknown program '${given}'${didYouMean(given, programs)}; known: ${programs.join(", ")}`,
          },
        ];
      }
      return [{ message: `${at}: ${issue.message}` }];
    }
    case "invalid_type": {
      const parent = issue.path
        .slice(0, -1)
        .reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], data);
      const last = issue.path.at(-1);
      const missing =
        typeof parent === "object" && parent !== null && last !== undefined && !(last in parent);
      if (missing) return [{ message: `missing required key '${String(last)}'` }];
      return [{ message: `${at}: expected ${issue.expected}` }];
    }
    default:
      return [{ message: `${at}: ${issue.message}` }];
  }
}

/** Problems of meaning in a schema-valid scenario, with the data path each one is at. */
function semanticProblems(scenario: Scenario): { path: PropertyKey[]; message: string }[] {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  const provided = new Set<string>();
  scenario.workloads.forEach((w, i) => {
    const program = findProgram(w.program)!;
    for (const check of program.checks) provided.add(check.name);
    if (program.usesKernel?.(w.params) === true) for (const check of KERNEL_CHECKS) provided.add(check.name);
    if (program.name === "peterson" && w.threads !== 2) {
      problems.push({
        path: ["workloads", i, "threads"],
        message: `program 'peterson' needs exactly 2 threads, got ${w.threads}`,
      });
    }
    if (program.name === "lock-order" && w.threads < 2) {
      problems.push({
        path: ["workloads", i, "threads"],
        message: `program 'lock-order' needs at least 2 threads`,
      });
    }
  });
  scenario.checks.forEach((check, i) => {
    const name = typeof check === "string" ? check : check.name;
    if (!provided.has(name)) {
      const known = [...provided];
      problems.push({
        path: ["checks", i],
        message: `no workload provides check '${name}'${didYouMean(name, known)}; available: ${known.join(", ") || "none"}`,
      });
    }
  });
  scenario.machine.devices.forEach((device, i) => {
    problems.push({
      path: ["machine", "devices", i],
      message: `machine.devices: the ${device.kind} device model exists (src/hw/virtio) but no OSv driver model runs it yet`,
    });
  });
  scenario.faults.forEach((fault, i) => {
    if ((fault.kind === "ipi-latency" || fault.kind === "ap-bringup") && fault.min > fault.max) {
      problems.push({ path: ["faults", i, "min"], message: `${fault.kind}: min is larger than max` });
    }
  });
  scenario.kernel.variants.forEach((variant, i) => {
    if (isKernelVariant(variant)) return;
    const known = Object.keys(KERNEL_VARIANTS);
    problems.push({
      path: ["kernel", "variants", i],
      message: `unknown kernel variant '${variant}'${didYouMean(variant, known)}; known: ${known.join(", ")}`,
    });
  });
  return problems;
}

/** Parses and validates scenario text; `file` names it in errors. */
export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
        return { line: pos.line, col: pos.col, message: `YAML: ${e.message.split("\n")[0]}` };
      }),
    );
  }
  const data: unknown = doc.toJS();
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ScenarioError(file, [
      { line: 1, col: 1, message: "a scenario must be a YAML mapping (name, workloads, …)" },
    ]);
  }
  const located: Located = { doc, lines };
  const parsed = scenarioSchema().safeParse(data);
  if (!parsed.success) {
    const problems: ScenarioProblem[] = [];
    for (const issue of parsed.error.issues) {
      for (const { message, key } of describeIssue(issue, data)) {
        problems.push({ ...position(located, issue.path, key), message });
      }
    }
    throw new ScenarioError(file, sortProblems(problems));
  }
  const scenario = parsed.data as unknown as Scenario;
  const semantic = semanticProblems(scenario);
  if (semantic.length > 0) {
    throw new ScenarioError(
      file,
      sortProblems(semantic.map((p) => ({ ...position(located, p.path), message: p.message }))),
    );
  }
  return scenario;
}

function sortProblems(problems: ScenarioProblem[]): ScenarioProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Reads and parses a scenario file; an unreadable file is a ScenarioError too. */
export function loadScenarioFile(path: string): { scenario: Scenario; text: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (error as Error).message;
    throw new ScenarioError(path, [{ line: 1, col: 1, message: `cannot read scenario: ${why}` }]);
  }
  return { scenario: parseScenario(text, path), text };
}
