// `deno task bench [scenario…] [options]`: the playbook benchmark (scripts/bench/playbooks.ts) — every
// scenario, or those named. `deno task bench NAME [args]` runs another benchmark script of this folder
// instead (scripts/bench/NAME.ts, e.g. `rpc`). Each prints tables and, as its last line, its figures as one
// JSON object.
import { readdirSync } from "node:fs";
import process from "node:process";
import { dirname, fromFileUrl } from "../_paths.ts";

const here = dirname(fromFileUrl(import.meta.url));
const scripts = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !f.startsWith("_") && f !== "main.ts" && !f.endsWith("_test.ts"))
  .map((f) => f.slice(0, -3))
  .sort();
const args = process.argv.slice(2);
if (args[0] === "-h" || args[0] === "--help") {
  console.error(
    "usage: deno task bench [scenario…] [--rounds N] [--runners a,b] [--links loopback,lan26ms] [--quick] …\n" +
      `       deno task bench NAME [args]   (NAME: ${scripts.join(", ")})\n` +
      "options of the playbook benchmark: see the header of scripts/bench/playbooks.ts",
  );
  process.exit(0);
}
// A first word naming a script picks it; anything else (scenario names, options, nothing) is the playbooks'.
const [name, rest] = scripts.includes(args[0]) ? [args[0], args.slice(1)] : ["playbooks", args];
const mod = await import(`./${name}.ts`);
await mod.main(rest);
