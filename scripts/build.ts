// Builds the one-file programs:
//   bundle   dist/mito.cjs — the whole controller (embedded Python included) as one CommonJS file
//   sea      dist/mito     — that bundle inside a Node single-executable application (needs no node/deno)
//   compile  dist/mito-deno — `deno compile`, with the denort base binary from $DENORT_BIN
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import process from "node:process";
import * as esbuild from "esbuild";
import { dirname, fromFileUrl, join } from "./_paths.ts";

const root = dirname(dirname(fromFileUrl(import.meta.url)));
const dist = join(root, "dist");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

class BuildError extends Error {
  override name = "BuildError";
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): void {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (r.error) throw new BuildError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new BuildError(`${cmd} ${args.join(" ")} exited with ${r.status}`);
}

// ssh2's optional native speed-ups: in the bundle their require() throws, so ssh2 takes its pure-JS path
// (and Node's SEA loader never sees a require of a file from disk).
const absentNative: esbuild.Plugin = {
  name: "absent-native",
  setup(b) {
    b.onResolve(
      { filter: /(^cpu-features$)|(\.node$)/ },
      (args) => ({ path: args.path, namespace: "absent" }),
    );
    b.onLoad({ filter: /.*/, namespace: "absent" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the bundle`)});`,
      loader: "js",
    }));
  },
};

export async function bundle(): Promise<string> {
  mkdirSync(dist, { recursive: true });
  const out = join(dist, "mito.cjs");
  await esbuild.build({
    entryPoints: [join(root, "cli/bin.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
    // cli/main.ts runs the CLI when it is the entry (`deno run cli/main.ts`); in the bundle the entry is
    // cli/bin.ts, so there it is not, which CommonJS has no import.meta to say.
    define: { "import.meta.main": "false" },
    plugins: [absentNative],
    outfile: out,
  });
  await esbuild.stop();
  return out;
}

// The fuse Node's SEA loader looks for (documented in Node's single-executable-applications guide).
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

export async function sea(): Promise<string> {
  const script = await bundle();
  const blob = join(dist, "mito.blob");
  const config = join(dist, "sea-config.json");
  // The code cache spares every run compiling the 2 MB bundle (a one-task playbook: 0.33 s -> 0.24 s); the
  // binary carries the Node it was made for, so the cache always matches it.
  writeFileSync(
    config,
    JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
  );
  const node = process.env.MITO_NODE_BIN ??
    execFileSync("node", ["-p", "process.execPath"], { encoding: "utf8" }).trim();
  run(node, ["--experimental-sea-config", config]);
  const out = join(dist, "mito");
  rmSync(out, { force: true });
  copyFileSync(node, out);
  chmodSync(out, 0o755);
  inject(out, blob);
  rmSync(blob, { force: true });
  return out;
}

/**
 * LIEF, which postject edits the ELF file with, warns that it cannot find the name of Node's `.note.100`
 * section while it rewrites the section table; the binary is whole and runs (nodejs/postject#83), so
 * those lines alone are left out, and anything else postject says is shown.
 */
const HARMLESS_POSTJECT = /^warning: Can't find string offset for section name '\.note(\.\d+)?'$/;

function inject(out: string, blob: string): void {
  const args = [out, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE];
  const r = spawnSync(bin("postject"), args, { cwd: root, encoding: "utf8" });
  if (r.error) throw new BuildError(`postject: ${r.error.message}`);
  const keep = (text: string) => text.split("\n").filter((l) => !HARMLESS_POSTJECT.test(l)).join("\n");
  process.stdout.write(keep(r.stdout));
  process.stderr.write(keep(r.stderr));
  if (r.status !== 0) throw new BuildError(`postject ${args.join(" ")} exited with ${r.status}`);
}

export function compile(): Promise<string> {
  const denort = process.env.DENORT_BIN;
  if (!denort || !existsSync(denort)) {
    throw new BuildError(
      "deno compile needs the denort base binary, which cannot be downloaded on this machine: set DENORT_BIN " +
        "to a denort of the same Deno version (2.9.6)" + (denort ? ` (${denort} does not exist)` : "") +
        ". The Node single executable (`deno task sea`) builds without it.",
    );
  }
  mkdirSync(dist, { recursive: true });
  const out = join(dist, "mito-deno");
  run(join(root, "node_modules/deno/deno"), [
    "compile",
    "-A",
    "--no-check",
    "--output",
    out,
    join(root, "cli/bin.ts"),
  ], {
    DENORT_BIN: denort,
  });
  return Promise.resolve(out);
}

if (import.meta.main) {
  const what = process.argv[2];
  const steps: Record<string, () => Promise<string>> = { bundle, sea, compile };
  try {
    if (!steps[what]) throw new BuildError(`usage: build.ts bundle|sea|compile (got ${what ?? "nothing"})`);
    const out = await steps[what]();
    console.log(`built ${out} (${(statSync(out).size / 1048576).toFixed(1)} MiB)`);
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(`build: ${err.message}`);
    process.exitCode = 1;
  }
}
