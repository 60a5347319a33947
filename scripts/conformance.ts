// A developer's tool (CI does not run it): ansible-core's own integration targets, each run as
// ansible-test runs it on a POSIX controller, once with ansible-playbook and once with mito, their exit
// codes and PLAY RECAP lines compared.
//
//   deno run -A scripts/conformance.ts TARGETS_DIR [NAME …] [--list FILE] [--timeout SECONDS] [--diff]
//       [--parallel] [--keep] [-v]
//
// TARGETS_DIR is ansible-core's test/integration/targets (stable-2.14), fetched outside the repository.
// A role target (tasks/main.yml) runs through ansible-test's one-play wrapper on `testhost`; a runme.sh
// target runs its script, for mito with a directory first on PATH whose ansible-playbook, ansible, …
// run mito from this checkout. Every run gets its own copy of the whole targets folder (runme.sh scripts
// reach their neighbours as ../setup_*), its own output dir, and a time limit after which its process
// group is killed. Targets whose aliases ask for what this machine lacks are skipped with the reason.
// The two runs of a target go one after the other: targets share the machine's users and fixed paths
// (setup_test_user makes and deletes the same account), so side by side they trip over each other;
// --parallel runs them together all the same, for targets known not to.
// Prints one verdict line per target and `N of M targets match`; exit 0 when all that ran match.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { LINK_NAMES } from "../cli/main.ts";
import { classify, differences, gathersFacts, type RunOutcome, type TargetKind } from "./_conformance.ts";
import { dirname, fromFileUrl, join } from "./_paths.ts";

const REPO = dirname(dirname(fromFileUrl(import.meta.url)));
const DENO = join(REPO, "node_modules/deno/deno");
const PYTHON = "/usr/bin/python3";

interface Options {
  targets: string;
  names: string[];
  timeoutMs: number;
  diff: boolean;
  parallel: boolean;
  keep: boolean;
  verbose: boolean;
}

function usage(msg: string): never {
  console.error(`conformance: ${msg}`);
  console.error(
    "usage: conformance.ts TARGETS_DIR [NAME …] [--list FILE] [--timeout SECONDS] [--diff] [--parallel] " +
      "[--keep] [-v]",
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    targets: "",
    names: [],
    timeoutMs: 120_000,
    diff: false,
    parallel: false,
    keep: false,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--list") {
      const text = fs.readFileSync(value(), "utf8");
      o.names.push(...text.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean));
    } else if (a === "--timeout") {
      const s = Number(value());
      if (!(s > 0)) usage(`--timeout takes a number of seconds`);
      o.timeoutMs = s * 1000;
    } else if (a === "--diff") o.diff = true;
    else if (a === "--parallel") o.parallel = true;
    else if (a === "--keep") o.keep = true;
    else if (a === "-v") o.verbose = true;
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else if (!o.targets) o.targets = path.resolve(a);
    else o.names.push(a);
  }
  if (!o.targets) usage("which targets directory?");
  if (!fs.existsSync(o.targets)) usage(`no directory ${o.targets}`);
  if (!o.names.length) usage("which targets? (names, or --list FILE)");
  for (const n of o.names) if (!fs.existsSync(join(o.targets, n))) usage(`no target ${n} in ${o.targets}`);
  return o;
}

function kindOf(targets: string, name: string): TargetKind {
  const dir = join(targets, name);
  const aliases = join(dir, "aliases");
  return classify({
    name,
    hasRunme: fs.existsSync(join(dir, "runme.sh")),
    hasTasksMain: fs.existsSync(join(dir, "tasks/main.yml")) || fs.existsSync(join(dir, "tasks/main.yaml")),
    aliases: readIfThere(aliases),
    texts: textFiles(dir).map((f) => fs.readFileSync(f, "utf8")),
  });
}

function readIfThere(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
}

/** The target's small files, text or not (a binary one simply holds no `ansible_host=`). */
function textFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const f = join(e.parentPath, e.name);
    if (e.isFile() && fs.statSync(f).size < 200_000) out.push(f);
  }
  return out;
}

/**
 * Folders shared by every run: `bin` with `python` (scripts call it; the machine's python3 on PATH is a
 * slow shim) and `mito-bin` with Ansible's command names running mito from source, each through a tiny
 * entry file named after the command (mito picks the command from its script's name).
 */
function sharedBins(base: string): { bin: string; mitoBin: string } {
  const bin = join(base, "bin");
  const mitoBin = join(base, "mito-bin");
  fs.mkdirSync(bin);
  fs.mkdirSync(mitoBin);
  fs.symlinkSync(PYTHON, join(bin, "python"));
  const main = new URL("../cli/main.ts", import.meta.url).href;
  for (const name of Object.keys(LINK_NAMES)) {
    fs.writeFileSync(join(mitoBin, `${name}.ts`), `import { runCli } from "${main}";\nvoid runCli();\n`);
    fs.writeFileSync(
      join(mitoBin, name),
      `#!/bin/sh\nexec ${DENO} run -q -A --no-check --config ${join(REPO, "deno.json")} ${
        join(mitoBin, `${name}.ts`)
      } "$@"\n`,
      { mode: 0o755 },
    );
  }
  return { bin, mitoBin };
}

/**
 * en_US.UTF-8 compiled into `base` (reached through LOCPATH): ansible-test runs under it, some runme.sh
 * scripts set it, and Debian images often lack it. Undefined when localedef cannot make it.
 */
function privateLocale(base: string): string | undefined {
  const dir = join(base, "locale");
  fs.mkdirSync(dir);
  const r = spawnSync("localedef", ["-i", "en_US", "-f", "UTF-8", join(dir, "en_US.UTF-8")], {
    encoding: "utf8",
  });
  if (r.status === 0) return dir;
  console.error(`conformance: no en_US.UTF-8 locale (localedef: ${r.stderr.trim()}); running under C.UTF-8`);
  return undefined;
}

/**
 * One tool's run of one target in `dir`: ansible-test's layout (integration/targets/…, the inventory
 * beside them, an output dir) and the environment it sets for a POSIX controller test.
 */
async function runTarget(
  o: Options,
  name: string,
  kind: "role" | "script",
  dir: string,
  bins: { bin: string; mitoBin?: string; locale?: string },
): Promise<RunOutcome & { stderr: string }> {
  const integration = join(dir, "integration");
  const targets = join(integration, "targets");
  const output = join(dir, "output");
  fs.mkdirSync(integration, { recursive: true });
  fs.mkdirSync(output);
  const cp = spawnSync("cp", ["-a", o.targets, targets]);
  if (cp.status !== 0) throw new Error(`cp -a ${o.targets} ${targets} failed: ${cp.stderr}`);
  const inventory = join(integration, "inventory");
  fs.writeFileSync(
    inventory,
    `[testgroup]\ntesthost ansible_connection=local ansible_pipelining=yes ansible_python_interpreter=${PYTHON}\n`,
  );
  const config = join(integration, "integration.cfg");
  fs.writeFileSync(config, "");
  const env: Record<string, string> = {
    PATH: [bins.mitoBin, bins.bin, "/usr/sbin:/usr/bin:/sbin:/bin"].filter(Boolean).join(":"),
    HOME: process.env.HOME ?? "/root",
    LC_ALL: bins.locale ? "en_US.UTF-8" : "C.UTF-8",
    ...(bins.locale ? { LOCPATH: bins.locale } : {}),
    PAGER: "/bin/cat",
    ANSIBLE_CONFIG: config,
    ANSIBLE_FORCE_COLOR: "false",
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_FORCE_HANDLERS: "true",
    ANSIBLE_HOST_PATTERN_MISMATCH: "error",
    ANSIBLE_INVENTORY: "/dev/null",
    ANSIBLE_DEPRECATION_WARNINGS: "false",
    ANSIBLE_HOST_KEY_CHECKING: "false",
    ANSIBLE_RETRY_FILES_ENABLED: "false",
    ANSIBLE_LIBRARY: "/dev/null",
    ANSIBLE_DEVEL_WARNING: "false",
    ANSIBLE_TEST_PYTHON_INTERPRETER: PYTHON,
    ANSIBLE_TEST_PYTHON_VERSION: "3.11",
    ANSIBLE_TEST_COVERAGE: "",
    ANSIBLE_TEST_CI: "local",
    OUTPUT_DIR: output,
    INVENTORY_PATH: inventory,
  };
  let cmd: string;
  let args: string[];
  let cwd: string;
  if (kind === "role") {
    // ansible-test's wrapper play, as JSON (which is YAML), beside the inventory; roles come from the
    // targets folder, so a role's meta dependencies (setup_remote_tmp_dir, …) resolve there.
    const play = [{
      hosts: "testhost",
      gather_facts: gathersFacts(readIfThere(join(targets, name, "aliases"))),
      vars_files: [],
      vars: { output_dir: output },
      roles: [name],
    }];
    const playbook = join(integration, `${name}-conformance.yml`);
    fs.writeFileSync(playbook, JSON.stringify(play, null, 4));
    cwd = integration;
    cmd = join(bins.mitoBin ?? "/usr/bin", "ansible-playbook");
    args = [path.basename(playbook), "-i", "inventory"];
    env.ANSIBLE_ROLES_PATH = targets;
  } else {
    cwd = join(targets, name);
    cmd = "./runme.sh";
    args = [];
  }
  env.ANSIBLE_PLAYBOOK_DIR = cwd;
  return await spawnBounded(cmd, args, cwd, env, o.timeoutMs);
}

/**
 * `cmd` run with exactly `env` (env -i: Deno adds its own environment to a spawn's), in a process group
 * of its own that is killed by its pid when the time is up, and once the run ends (what a test left
 * running in the background).
 */
function spawnBounded(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<RunOutcome & { stderr: string }> {
  return new Promise((resolve, reject) => {
    const argv = ["-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args];
    const child = spawn("/usr/bin/env", argv, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch { /* the group is already gone */ }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => stdout += d);
    child.stderr!.setEncoding("utf8").on("data", (d: string) => stderr += d);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code: code ?? (signal ? 128 + 9 : -1), stdout, stderr, timedOut });
    });
  });
}

/** The last line of a failed run's output that says why (with its result, if printed over lines). */
function lastError(r: { stdout: string; stderr: string }): string {
  const lines = (r.stderr + "\n" + r.stdout).split("\n");
  const at = lines.findLastIndex((l) => /^(fatal|failed):|ERROR!|Traceback|Error:/.test(l));
  // A runme.sh under `set -x` ends with the command that failed.
  if (at < 0) return (r.stderr.trimEnd().split("\n").at(-1) ?? "").slice(0, 300);
  let text = lines[at];
  for (let i = at + 1; text.endsWith("{") && i < lines.length && i < at + 30; i++) {
    text += " " + lines[i].trim();
    if (lines[i] === "}") break;
  }
  return text.slice(0, 300);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const base = fs.mkdtempSync("/var/tmp/conformance-");
  const { bin, mitoBin } = sharedBins(base);
  const locale = privateLocale(base);
  let ran = 0;
  let same = 0;
  try {
    for (const name of o.names) {
      const kind = kindOf(o.targets, name);
      if (kind.kind === "skip") {
        console.log(`${name}: skipped: ${kind.reason}`);
        continue;
      }
      // Names of one length and no hyphen: Ansible wraps warnings that name a path at 80 columns (and
      // after a hyphen), and two different paths would wrap the same message at different places.
      const dirA = join(base, `${name}.ansible`);
      const dirM = join(base, `${name}.mito_pb`);
      const runA = () => runTarget(o, name, kind.kind, dirA, { bin, locale });
      const runM = () => runTarget(o, name, kind.kind, dirM, { bin, mitoBin, locale });
      const [a, m] = o.parallel ? await Promise.all([runA(), runM()]) : [await runA(), await runM()];
      ran++;
      const diffs = differences(a, m, { diff: o.diff });
      if (!diffs.length) {
        same++;
        // Failing alike is agreement too, but says little: the verdict tells it apart.
        const alike = a.code === 0 ? "exit 0" : `both fail alike, exit ${a.code}`;
        console.log(`${name}: same (${kind.kind}, ${alike})`);
      } else {
        console.log(`${name}: differs (${kind.kind}): ${diffs.join("; ")}`);
        if (o.verbose) {
          console.log(`    ansible-playbook: ${lastError(a)}`);
          console.log(`    mito:             ${lastError(m)}`);
        }
      }
      if (o.keep) {
        for (const [d, r] of [[dirA, a], [dirM, m]] as const) {
          fs.writeFileSync(join(d, "stdout"), r.stdout);
          fs.writeFileSync(join(d, "stderr"), r.stderr);
        }
      } else {
        fs.rmSync(dirA, { recursive: true, force: true });
        fs.rmSync(dirM, { recursive: true, force: true });
      }
    }
  } finally {
    if (o.keep) console.log(`kept ${base}`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
  console.log(`${same} of ${ran} targets match`);
  process.exit(same === ran ? 0 : 1);
}

await main();
