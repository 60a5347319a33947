// A developer's tool (CI does not run it: it needs an ansible-runner checkout): installs ansible-runner
// from that checkout into a temporary virtualenv, runs one playbook through it twice, with the real
// ansible-playbook and with mito in its place (first on PATH as `ansible-playbook`, as AWX or
// ansible-navigator would find it), and prints where the two job event streams differ.
//
//   deno run -A scripts/runner-compare.ts RUNNER_SRC PLAYBOOK [--record[=NAME]] [--env=K=V ...] [--keep]
//
// RUNNER_SRC is a checkout of ansible/ansible-runner (a work tree, or a bare repository whose HEAD is
// used). PLAYBOOK sits in the `project/` folder of a runner private data dir (tests/runner/project/*.yml:
// its `inventory/` is beside it). Runner's own dependencies are Debian's python3-pexpect, python3-daemon,
// python3-yaml and python3-packaging (and python3-setuptools-scm to build it); nothing is downloaded.
// --record writes the real run's events as the golden file tests/runner_events_test.ts compares mito
// with (tests/runner/golden/NAME.json, NAME the playbook's unless given). --env=K=V runs both with that
// variable set (display_args_to_stdout, gathering, ...); the golden then records it. Exit code 0 when the streams agree, 1 when they differ, 2 on
// bad usage.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { eventDiffs, goldenText, normaliseEvents, readJobEvents, runForks } from "../tests/_runner_events.ts";
import { DENO, ROOT } from "../tests/_run.ts";

function usage(msg: string): never {
  console.error(`runner-compare: ${msg}`);
  console.error("usage: runner-compare.ts RUNNER_SRC PLAYBOOK [--record[=NAME]] [--env=K=V ...] [--keep]");
  process.exit(2);
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** The checkout's source tree: a work tree as it is, a bare repository's HEAD unpacked into `tmp`. */
function sourceTree(src: string, tmp: string): string {
  if (fs.existsSync(path.join(src, "src/ansible_runner"))) return src;
  const out = path.join(tmp, "runner-src");
  fs.mkdirSync(out);
  const tar = spawnSync("git", ["--git-dir", src, "archive", "HEAD"], { maxBuffer: 1 << 28 });
  if (tar.status !== 0) usage(`${src} is neither a runner work tree nor a git repository`);
  const x = spawnSync("tar", ["-x", "-C", out], { input: tar.stdout });
  if (x.status !== 0) throw new Error(`unpacking ${src}: ${x.stderr}`);
  return out;
}

/** ansible-runner in a virtualenv that sees Debian's packages (its dependencies); returns its binary. */
function installRunner(src: string, tmp: string): string {
  const venv = path.join(tmp, "venv");
  run("/usr/bin/python3", ["-m", "venv", "--system-site-packages", venv]);
  run(path.join(venv, "bin/pip"), ["install", "-q", "--no-build-isolation", "--no-deps", "--no-index", src], {
    // setuptools-scm cannot read a version from an unpacked archive
    env: { SETUPTOOLS_SCM_PRETEND_VERSION: "0.0.0+mito" },
  });
  return path.join(venv, "bin/ansible-runner");
}

/** A folder holding `ansible-playbook` that runs mito from this checkout. */
function mitoAsAnsiblePlaybook(tmp: string): string {
  const bin = path.join(tmp, "mito-bin");
  fs.mkdirSync(bin);
  const script = path.join(bin, "ansible-playbook");
  fs.writeFileSync(
    script,
    `#!/bin/sh\nexec "${DENO}" run -q -A "${path.join(ROOT, "cli/main.ts")}" run "$@"\n`,
  );
  fs.chmodSync(script, 0o755);
  return bin;
}

interface Ran {
  rc: number;
  /** The hosts of the fact cache, each with its facts' names. */
  factCache: Record<string, string[]>;
  events: ReturnType<typeof normaliseEvents>;
}

function runUnderRunner(
  runner: string,
  data: string,
  playbook: string,
  ident: string,
  pathDirs: string[],
  extraEnv: Record<string, string>,
): Ran {
  const env = { ...extraEnv, PATH: [...pathDirs, process.env.PATH ?? "/usr/bin:/bin"].join(":") };
  // runner's own exit code is the playbook's; its artifacts say the same in `rc`
  spawnSync(runner, ["run", data, "-p", playbook, "--ident", ident, "-j"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 600_000,
  });
  const artifacts = path.join(data, "artifacts", ident);
  const rc = Number(fs.readFileSync(path.join(artifacts, "rc"), "utf8").trim());
  const cache = path.join(artifacts, "fact_cache");
  const factCache: Record<string, string[]> = {};
  for (const host of fs.existsSync(cache) ? fs.readdirSync(cache).sort() : []) {
    factCache[host] = Object.keys(JSON.parse(fs.readFileSync(path.join(cache, host), "utf8"))).sort();
  }
  const events = normaliseEvents(
    readJobEvents(path.join(artifacts, "job_events")),
    path.join(data, "project"),
    { forks: runForks(extraEnv) },
  );
  return { rc, factCache, events };
}

function main(argv: string[]): number {
  const flags = new Set(argv.filter((a) => a.startsWith("--")).map((a) => a.replace(/=.*/s, "")));
  const valueOf = (flag: string) => argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  const extraEnv: Record<string, string> = {};
  for (const a of argv.filter((a) => a.startsWith("--env="))) {
    const [k, ...v] = a.slice("--env=".length).split("=");
    if (!k || !v.length) usage(`${a}: --env wants K=V`);
    extraEnv[k] = v.join("=");
  }
  const [src, playbook] = argv.filter((a) => !a.startsWith("--"));
  if (!src || !playbook) usage("RUNNER_SRC and PLAYBOOK are required");
  const project = path.dirname(path.resolve(playbook));
  const inventory = path.join(path.dirname(project), "inventory");
  if (path.basename(project) !== "project" || !fs.existsSync(inventory)) {
    usage(`${playbook} must sit in a project/ folder with an inventory/ beside it`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "runner-compare-"));
  try {
    const runner = installRunner(sourceTree(path.resolve(src), tmp), tmp);
    const data = path.join(tmp, "private");
    fs.mkdirSync(data);
    fs.cpSync(project, path.join(data, "project"), { recursive: true });
    fs.cpSync(inventory, path.join(data, "inventory"), { recursive: true });
    const name = path.basename(playbook);
    const real = runUnderRunner(runner, data, name, "ansible-playbook", [], extraEnv);
    const mito = runUnderRunner(runner, data, name, "mito", [mitoAsAnsiblePlaybook(tmp)], extraEnv);
    if (flags.has("--record")) {
      const own = valueOf("--record");
      const golden = path.join(ROOT, "tests/runner/golden", `${own ?? name.replace(/\.ya?ml$/, "")}.json`);
      fs.mkdirSync(path.dirname(golden), { recursive: true });
      const run = own ? { playbook: name, env: extraEnv } : { env: extraEnv };
      fs.writeFileSync(golden, goldenText(real.rc, Object.keys(real.factCache), real.events, run));
      console.log(`recorded ${path.relative(ROOT, golden)}: ${real.events.length} events, rc ${real.rc}`);
    }
    const diffs = eventDiffs(real.events, mito.events);
    if (real.rc !== mito.rc) diffs.unshift(`exit code: ansible-playbook ${real.rc}, mito ${mito.rc}`);
    if (JSON.stringify(real.factCache) !== JSON.stringify(mito.factCache)) {
      diffs.unshift(
        `fact cache (hosts, fact names): ${JSON.stringify(real.factCache)} | ${
          JSON.stringify(mito.factCache)
        }`,
      );
    }
    if (!diffs.length) {
      console.log(`same: ${real.events.length} events, rc ${real.rc}`);
      return 0;
    }
    console.log(`ansible-playbook | mito\n${diffs.join("\n")}`);
    return 1;
  } finally {
    if (flags.has("--keep")) console.error(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
