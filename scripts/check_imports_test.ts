import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { assertEquals } from "../tests/_assert.ts";
import { buildGraph, checkImports, importCycles, layerEscapes, staticImports } from "./check_imports.ts";

Deno.test("static imports: import, side-effect import, export-from and type-only, across lines", () => {
  const source = [
    `import { a } from "./a.ts";`,
    `import "./side.ts";`,
    `import type { T } from './types.ts';`,
    `import {`,
    `  b,`,
    `  c,`,
    `} from "../up/b.ts";`,
    `export { d } from "./d.ts";`,
    `export * from "./all.ts";`,
    `export type { E } from "./e.ts";`,
    `import process from "node:process";`,
  ].join("\n");
  assertEquals(staticImports(source), [
    { specifier: "./a.ts", typeOnly: false },
    { specifier: "./side.ts", typeOnly: false },
    { specifier: "./types.ts", typeOnly: true },
    { specifier: "../up/b.ts", typeOnly: false },
    { specifier: "./d.ts", typeOnly: false },
    { specifier: "./all.ts", typeOnly: false },
    { specifier: "./e.ts", typeOnly: true },
    { specifier: "node:process", typeOnly: false },
  ]);
});

Deno.test("static imports: not comments, strings in exports, or dynamic import()", () => {
  const source = [
    `// import { x } from "./commented.ts";`,
    `/* import "./block.ts"; */`,
    `export const name = "./not-a-module.ts";`,
    `const m = await import("./dynamic.ts");`,
    `export function f() {}`,
  ].join("\n");
  assertEquals(staticImports(source), []);
});

Deno.test("a cycle is reported once, as the loop through its first file; type-only edges do not count", () => {
  const graph = buildGraph(
    new Map([
      ["t/a.ts", `import { b } from "./b.ts";`],
      ["t/b.ts", `import { c } from "./c.ts";`],
      ["t/c.ts", `import { a } from "./a.ts";`],
      ["t/d.ts", `import type { A } from "./a.ts";\nimport { e } from "./e.ts";`],
      ["t/e.ts", `import type { D } from "./d.ts";`],
      ["t/self.ts", `export { x } from "./self.ts";`],
    ]),
  );
  assertEquals(importCycles(graph), [
    { files: ["t/a.ts", "t/b.ts", "t/c.ts"], path: ["t/a.ts", "t/b.ts", "t/c.ts", "t/a.ts"] },
    { files: ["t/self.ts"], path: ["t/self.ts", "t/self.ts"] },
  ]);
});

Deno.test("a layer may not import outside itself, type imports included; its unit tests may", () => {
  const graph = buildGraph(
    new Map([
      ["core/codec.ts", `import { PyFloat } from "../playbook/values.ts";\nimport { f } from "./frame.ts";`],
      ["core/frame.ts", `import type { X } from "../transports/broker.ts";`],
      ["core/frame_test.ts", `import { assert } from "../tests/_assert.ts";`],
      ["playbook/values.ts", `import { g } from "../core/codec.ts";`],
    ]),
  );
  assertEquals(layerEscapes(graph, "core"), [
    { from: "core/codec.ts", to: "playbook/values.ts" },
    { from: "core/frame.ts", to: "transports/broker.ts" },
  ]);
});

Deno.test("checkImports reads a tree of files and names each violation; node_modules is not read", () => {
  const root = mkdtempSync(join(tmpdir(), "check-imports-"));
  try {
    const files: Record<string, string> = {
      "core/a.ts": `import { p } from "../playbook/p.ts";`,
      "playbook/p.ts": `import { q } from "./q.ts";`,
      "playbook/q.ts": `import { p } from "./p.ts";`,
      "node_modules/pkg/x.ts": `import { y } from "./y.ts";\nimport { x } from "./x.ts";`,
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    assertEquals(checkImports(root), [
      "import cycle: playbook/p.ts -> playbook/q.ts -> playbook/p.ts",
      "core/ imports outside itself: core/a.ts -> playbook/p.ts",
    ]);
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("this project's own import graph holds the rules", () => {
  assertEquals(checkImports(join(dirname(new URL(import.meta.url).pathname), "..")), []);
});
