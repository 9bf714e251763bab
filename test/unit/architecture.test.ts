// Goal: the determinism and layering rules hold in the source itself. Method: scan src/ as text for
// wall-clock, timer and randomness APIs outside src/cli/, and for imports that point up a layer.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const src = join(root, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const FORBIDDEN = [
  /\bMath\.random\b/,
  /\bDate\.now\b/,
  /\bnew Date\(\s*\)/,
  /\bperformance\.now\b/,
  /\bprocess\.hrtime\b/,
  /\bsetTimeout\b/,
  /\bsetInterval\b/,
  /\bsetImmediate\b/,
  /\bqueueMicrotask\b/,
  /\bcrypto\.(random|getRandomValues)/,
  /\bWeakRef\b/,
  /\bFinalizationRegistry\b/,
  /\bAtomics\.wait\b/,
];

/** The code of a line with comments and string literals removed, so prose can mention the APIs. */
function code(line: string): string {
  return line
    .replace(/\/\/.*$/, "")
    .replace(/^\s*\*.*$/, "")
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
}

const LAYER_RANK: Record<string, number> = { sim: 0, hw: 1, kernel: 2, scenario: 3, cli: 4 };

describe("source rules", () => {
  const files = sourceFiles(src);

  it("finds the source files", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it("uses no wall clock, timer or randomness outside src/cli", () => {
    const hits: string[] = [];
    for (const file of files) {
      const rel = relative(src, file);
      if (rel.startsWith("cli/")) continue;
      if (rel === "sim/guard.ts") continue; // the guard names what it poisons
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (FORBIDDEN.some((re) => re.test(code(line)))) hits.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });

  it("the scan catches a leak when there is one", () => {
    expect(FORBIDDEN.some((re) => re.test(code("const x = Math.random();")))).toBe(true);
    expect(FORBIDDEN.some((re) => re.test(code("// Math.random is poisoned")))).toBe(false);
  });

  it("imports point down the layers, and across layers only through index.ts", () => {
    const bad: string[] = [];
    for (const file of files) {
      const rel = relative(src, file);
      const layer = rel.split("/")[0]!;
      const rank = LAYER_RANK[layer];
      if (rank === undefined) continue;
      for (const match of readFileSync(file, "utf8").matchAll(/from\s+"(\.[^"]+)"/g)) {
        const target = relative(src, join(file, "..", match[1]!));
        const targetLayer = target.split("/")[0]!;
        const targetRank = LAYER_RANK[targetLayer];
        if (targetRank === undefined || targetLayer === layer) continue;
        if (targetRank > rank) bad.push(`${rel} imports up into ${target}`);
        else if (!target.endsWith("index.js")) bad.push(`${rel} imports ${target}, not the layer's index`);
      }
    }
    expect(bad).toEqual([]);
  });
});
