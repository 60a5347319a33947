// `deno task bench NAME [args]`: runs one benchmark script from this folder (scripts/bench/NAME.ts).
// Each benchmark prints a table and, as its last line, its figures as one JSON object.
import { existsSync, readdirSync } from "node:fs";
import process from "node:process";
import { dirname, fromFileUrl, join } from "../_paths.ts";

const here = dirname(fromFileUrl(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !f.startsWith("_") && f !== "main.ts")
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name) || !existsSync(join(here, `${name}.ts`))) {
  console.error(`usage: deno task bench NAME [args]   (NAME: ${available.join(", ")})`);
  process.exit(2);
}
const mod = await import(`./${name}.ts`);
await mod.main(rest);
