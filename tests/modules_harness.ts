// Shared helpers for the modules_* tests: run mito.runner entry points in a real
// /usr/bin/python3 with the package laid out as targets see it (mito.runner, mito.modules.*).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PYTHON = "/usr/bin/python3";

let pkgRoot: string | undefined;

/** A directory holding the `mito` package (symlinks into the source tree). */
export function packageRoot(): string {
  if (pkgRoot) return pkgRoot;
  const d = mkdtempSync(join(tmpdir(), "mito-pkg-"));
  mkdirSync(join(d, "mito"));
  writeFileSync(join(d, "mito", "__init__.py"), "");
  symlinkSync(join(ROOT, "bootstrap", "runner.py"), join(d, "mito", "runner.py"));
  symlinkSync(join(ROOT, "modules"), join(d, "mito", "modules"));
  pkgRoot = d;
  globalThis.addEventListener("unload", () => rmSync(d, { recursive: true, force: true }));
  return d;
}

export type Json = any;
export interface Call {
  fn: string;
  args?: Json[];
  kwargs?: Record<string, Json>;
}

const DRIVER = `
import json, sys
sys.path.insert(0, sys.argv[1])
import mito.runner as runner
calls = json.loads(sys.stdin.read())
out = []
real_stdout = sys.stdout
import importlib
for c in calls:
    if ":" in c["fn"]:  # "mito.modules.x:function" for pure helpers
        mod, _, name = c["fn"].partition(":")
        fn = getattr(importlib.import_module(mod), name)
    else:
        fn = getattr(runner, c["fn"])
    out.append(fn(*c.get("args", []), **c.get("kwargs", {})))
real_stdout.write(json.dumps(out))
`;

/** Run several calls, in order, in ONE interpreter (as a persistent target context would). */
export function callMany(
  calls: Call[],
  env?: Record<string, string>,
  python = PYTHON,
  prefix: string[] = [],
): Json[] {
  const argv = [...prefix, python, "-c", DRIVER, packageRoot()];
  const p = spawnSync(argv[0], argv.slice(1), {
    input: JSON.stringify(calls),
    encoding: "utf-8",
    timeout: 60_000,
    env: { ...Deno.env.toObject(), ...(env ?? {}) },
  });
  if (p.status !== 0) throw new Error(`python failed (${p.status}): ${p.stderr}\n${p.stdout}`);
  return JSON.parse(p.stdout);
}

/** Run one built-in module. */
export function run(name: string, args: Record<string, Json>, kwargs: Record<string, Json> = {}): Json {
  return callMany([{ fn: "run_module", args: [name, args], kwargs }])[0];
}

/** Run a module twice in one interpreter: first and second result (idempotence). */
export function runTwice(
  name: string,
  args: Record<string, Json>,
  kwargs: Record<string, Json> = {},
): Json[] {
  const c = { fn: "run_module", args: [name, args], kwargs };
  return callMany([c, c]);
}

/** A fresh temp dir removed when the test process ends. */
export function tempDir(prefix = "mito-mod-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  globalThis.addEventListener("unload", () => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Run a command synchronously and return its stdout (throws on failure). */
export function sh(cmd: string, cwd?: string): string {
  const p = spawnSync("/bin/sh", ["-c", cmd], { cwd, encoding: "utf-8", timeout: 60_000 });
  if (p.status !== 0) throw new Error(`${cmd} failed: ${p.stderr}`);
  return p.stdout;
}
