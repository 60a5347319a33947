// `deno task bench decode`: what hostile or huge structured bodies cost the decoders under the limits of
// docs/protocol.md "Limits" — time and peak memory growth per body shape, on the controller (core/codec.ts,
// and end to end: a local context replying with the body) and on the target (mito.core's decode_body under
// /usr/bin/python3). Each measurement runs in a fresh process whose peak RSS is reset first (Linux
// /proc/self/clear_refs), so the figures do not include building the input.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fromFileUrl } from "../_paths.ts";
import { decodeBody } from "../../core/codec.ts";
import { FLAG_TAGS } from "../../core/frame.ts";
import { Broker } from "../../transports/broker.ts";

const PY = "/usr/bin/python3";
const CORE = fromFileUrl(new URL("../../bootstrap/core.py", import.meta.url).href);
const MB = 10 * 1024 * 1024;

/** Each shape as Python source building the same bytes as `make` (the target side builds its own). */
const SHAPES: Record<string, { make: () => string; py: string }> = {
  "10 MB nested 5M deep": {
    make: () => "[".repeat(MB / 2) + "]".repeat(MB / 2),
    py: `b"[" * ${MB / 2} + b"]" * ${MB / 2}`,
  },
  "10 MB of [],[],…": {
    make: () => "[" + "[],".repeat(Math.floor(MB / 3) - 1) + "[]]",
    py: `b"[" + b"[]," * ${Math.floor(MB / 3) - 1} + b"[]]"`,
  },
  "1M containers, 512 deep (largest allowed)": {
    make: () => "[" + ("[".repeat(511) + "]".repeat(511) + ",").repeat(1952) + "[]]",
    py: `b"[" + (b"[" * 511 + b"]" * 511 + b",") * 1952 + b"[]]"`,
  },
  "10 MB string": { make: () => JSON.stringify("x".repeat(MB)), py: `b'"' + b"x" * ${MB} + b'"'` },
  "100 MB string": { make: () => JSON.stringify("x".repeat(10 * MB)), py: `b'"' + b"x" * ${10 * MB} + b'"'` },
};

function status(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

function resetPeak(): number {
  writeFileSync("/proc/self/clear_refs", "5");
  return status("VmRSS");
}

const PY_MEASURE = `
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("core", sys.argv[1])
core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(core)
body = eval(sys.argv[2])
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
open("/proc/self/clear_refs", "w").write("5")
base = status("VmRSS")
t = time.perf_counter()
try:
    v = core.decode_body(body, core.FLAG_TAGS)
    out = "decoded"
except core.ProtocolError as e:
    out = str(e)
ms = (time.perf_counter() - t) * 1000
print(json.dumps({"bytes": len(body), "ms": ms, "peak": status("VmHWM") - base, "result": out}))
`;

interface Figure {
  bytes: number;
  ms: number;
  peak: number;
  result: string;
}

function controllerInProcess(name: string): Figure {
  const body = new TextEncoder().encode(SHAPES[name].make());
  const base = resetPeak();
  const t = performance.now();
  let result = "decoded";
  try {
    decodeBody(body, FLAG_TAGS);
  } catch (e) {
    result = (e as Error).message;
  }
  return { bytes: body.length, ms: performance.now() - t, peak: status("VmHWM") - base, result };
}

/** A local context plays a compromised target: its next reply is the shape, sent as it is. */
async function controllerFromTarget(name: string): Promise<Figure> {
  const b = new Broker({ onLog: () => {} });
  try {
    const ctx = await b.connect({ method: "local", python: PY });
    const plant = [
      "import mito.core as c",
      "real = c.encode_body",
      "def once(value):",
      "    c.encode_body = real",
      `    return ${SHAPES[name].py}, c.FLAG_TAGS`,
      "c.encode_body = once",
    ].join("\n");
    const base = resetPeak();
    const t = performance.now();
    let result = "decoded";
    try {
      await ctx.call("builtins", "exec", [plant, {}]);
    } catch (e) {
      result = (e as Error).message;
    }
    // The time includes the target building and sending the body.
    return { bytes: NaN, ms: performance.now() - t, peak: status("VmHWM") - base, result };
  } finally {
    await b.shutdown();
  }
}

function target(name: string): Figure {
  const r = spawnSync(PY, ["-c", PY_MEASURE, CORE, SHAPES[name].py], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Run by `deno task bench decode` (scripts/bench/main.ts), or directly: `--one SIDE|SHAPE` measures one. */
export async function main(args: string[]): Promise<void> {
  const [mode, shape] = args;
  if (mode === "--one") {
    // Child process: one controller-side measurement, printed as JSON.
    const [side, name] = shape.split("|");
    const fig = side === "in-process" ? controllerInProcess(name) : await controllerFromTarget(name);
    console.log(JSON.stringify(fig));
    process.exit(0);
  }

  const self = fromFileUrl(import.meta.url);
  const rows: Record<string, Record<string, Figure>> = {};
  for (const name of Object.keys(SHAPES)) {
    rows[name] = {};
    for (const side of ["in-process", "from a target"]) {
      const r = spawnSync(Deno.execPath(), ["run", "-A", self, "--one", `${side}|${name}`], {
        encoding: "utf8",
        timeout: 300_000,
      });
      if (r.status !== 0) throw new Error(`${side} ${name}: ${r.stderr}`);
      rows[name][`controller ${side}`] = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    }
    rows[name]["target (python3)"] = target(name);
  }
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  for (const [name, sides] of Object.entries(rows)) {
    console.log(name);
    for (const [side, f] of Object.entries(sides)) {
      console.log(
        `  ${side.padEnd(26)} ${f.ms.toFixed(0).padStart(6)} ms  peak +${
          mb(f.peak).padStart(7)
        }  ${f.result}`,
      );
    }
  }
  console.log(JSON.stringify(rows));
}

if (import.meta.main) await main(process.argv.slice(2));
