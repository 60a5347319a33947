// The layering rules, checked on the import graph of every .ts file: no import cycles, and core/ (the pure
// protocol) importing nothing outside core/. Part of scripts/test's static checks; exits 1 on a violation.
//   deno run --allow-read scripts/check_imports.ts [root]
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import process from "node:process";

/** One static import of a module: `import … from "x"`, `import "x"`, `export … from "x"`. */
export interface ImportEdge {
  specifier: string;
  /** `import type` / `export type`: erased when compiled, so it cannot take part in a load-order cycle. */
  typeOnly: boolean;
}

// Statements at the start of a line (after optional `export`), up to the first quoted specifier; the
// lazy body stops at `from`, so a multi-line import list is one match.
const STATEMENT = /^[ \t]*(import|export)\b(?:[ \t]+(type)\b)?([^;'"]*?)(?:\bfrom[ \t]*)?["']([^"']+)["']/gm;

/** The static imports in `source`; comments are skipped, dynamic `import()` is not a static edge. */
export function staticImports(source: string): ImportEdge[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/^[ \t]*\/\/.*$/gm, "");
  const out: ImportEdge[] = [];
  for (const m of text.matchAll(STATEMENT)) {
    const [, keyword, type, body] = m;
    // `export const x = "a"` or `import x = require("y")` are not module specifiers.
    if (keyword === "export" && !/\bfrom\b|^\s*\*|^\s*\{/.test(m[0].slice(m[0].indexOf("export") + 6))) {
      continue;
    }
    if (keyword === "import" && body.trim().startsWith("(")) continue;
    out.push({ specifier: m[4], typeOnly: type === "type" });
  }
  return out;
}

/** The module graph: each file (relative to the root, with `/`) to the local files it imports. */
export type Graph = Map<string, { to: string; typeOnly: boolean }[]>;

/** Relative specifiers only: npm:, node: and bare names are outside the project. */
export function buildGraph(files: Map<string, string>): Graph {
  const graph: Graph = new Map();
  for (const [file, source] of files) {
    const edges = [];
    for (const e of staticImports(source)) {
      if (!e.specifier.startsWith(".")) continue;
      edges.push({
        to: normalize(join(dirname(file), e.specifier)).replaceAll("\\", "/"),
        typeOnly: e.typeOnly,
      });
    }
    graph.set(file, edges);
  }
  return graph;
}

/** The files of one strongly connected component, and one loop through them for the message. */
export interface Cycle {
  files: string[];
  path: string[];
}

/**
 * Each cycle of value imports once, found as the strongly connected components of the graph (Tarjan): a
 * component of two or more files, or a file that imports itself, is a cycle.
 */
export function importCycles(graph: Graph): Cycle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: Cycle[] = [];
  let next = 0;
  const targets = (f: string) =>
    (graph.get(f) ?? []).filter((e) => !e.typeOnly && graph.has(e.to)).map((e) => e.to);
  const visit = (f: string) => {
    index.set(f, next);
    low.set(f, next++);
    stack.push(f);
    onStack.add(f);
    for (const t of targets(f)) {
      if (!index.has(t)) {
        visit(t);
        low.set(f, Math.min(low.get(f)!, low.get(t)!));
      } else if (onStack.has(t)) low.set(f, Math.min(low.get(f)!, index.get(t)!));
    }
    if (low.get(f) === index.get(f)) {
      const component: string[] = [];
      let x: string;
      do {
        x = stack.pop()!;
        onStack.delete(x);
        component.push(x);
      } while (x !== f);
      if (component.length > 1 || targets(f).includes(f)) {
        cycles.push({ files: component.sort(), path: cyclePath(component, targets) });
      }
    }
  };
  for (const f of [...graph.keys()].sort()) if (!index.has(f)) visit(f);
  return cycles;
}

/** One concrete loop through a component, from its first file by name, for the error message. */
function cyclePath(component: string[], next: (f: string) => string[]): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0];
  // Breadth-first from start's successors back to start: the shortest loop through it.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const f = queue.shift()!;
    for (const t of next(f)) {
      if (!members.has(t) || prev.has(t)) continue;
      prev.set(t, f);
      if (t === start) queue.length = 0;
      else queue.push(t);
    }
  }
  const path: string[] = [];
  for (let f = prev.get(start)!; f !== start; f = prev.get(f)!) path.unshift(f);
  return [start, ...path, start];
}

/** Imports from a file under `layer/` to a file outside it (type-only imports count: they still couple). */
export function layerEscapes(graph: Graph, layer: string): { from: string; to: string }[] {
  const prefix = layer.endsWith("/") ? layer : `${layer}/`;
  const out = [];
  for (const [from, edges] of graph) {
    // Unit tests beside the code may use the shared test helpers.
    if (!from.startsWith(prefix) || from.endsWith("_test.ts")) continue;
    for (const e of edges) if (!e.to.startsWith(prefix)) out.push({ from, to: e.to });
  }
  return out;
}

function tsFiles(root: string, dir = root, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) tsFiles(root, path, out);
    else if (entry.name.endsWith(".ts")) {
      out.set(relative(root, path).replaceAll("\\", "/"), readFileSync(path, "utf8"));
    }
  }
  return out;
}

/** The violations under `root`, one line each; empty when the layout holds. */
export function checkImports(root: string): string[] {
  const graph = buildGraph(tsFiles(root));
  return [
    ...importCycles(graph).map((c) =>
      `import cycle: ${c.path.join(" -> ")}` +
      (c.files.length > c.path.length - 1
        ? ` (the cycle joins ${c.files.length} files: ${c.files.join(", ")})`
        : "")
    ),
    ...layerEscapes(graph, "core").map((e) => `core/ imports outside itself: ${e.from} -> ${e.to}`),
  ];
}

if (import.meta.main) {
  const problems = checkImports(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), ".."));
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
}
