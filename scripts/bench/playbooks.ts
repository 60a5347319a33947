// `deno task bench [scenario…]`: the playbook benchmark of issue 6. Runs each scenario with ansible-playbook,
// Ansible+Mitogen (mitogen_linear), mito from source and the built dist/mito, side by side on this machine,
// interleaved over several rounds, on two links to the test sshd: loopback (directly) and lan26ms (through
// latency-proxy.py --delay-ms 13, which also counts bytes and connections). Prints the medians, ratios and
// targets as tables, writes them into docs/benchmarks.md ("## playbooks") and docs/benchmarks.svg, and
// ends with the figures as one JSON object.
//
// Options: --rounds N (3), --runners a,b, --links loopback,lan26ms, --quick (no 320 MiB transfers),
// --warmup (one untimed run of each scenario per runner first), --build (rebuild dist/mito),
// --mito-modules builtin|auto|ansible (builtin), --max-interpreters N (sets MITOGEN_MAX_INTERPRETERS and
// MITO_MAX_INTERPRETERS alike; both default to 20 interpreters per parent), --timeout S per run (900),
// --no-write, --fresh (forget the figures of earlier runs instead of merging), --report-only (no runs:
// render the tables, chart and targets again from the figures recorded in docs/benchmarks.md).
import { spawnSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { randomFillSync } from "node:crypto";
import { cpus, loadavg, tmpdir } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import { dirname, fromFileUrl, join } from "../_paths.ts";
import { testEnv } from "../../tests/_testenv.ts";
import {
  closeMasters,
  makeRunner,
  parseRunners,
  recapOk,
  type Runner,
  RunnerUnavailableError,
} from "./_runners.ts";
import {
  ANSIBLE_MODULES_RUNNERS,
  BASELINE,
  MITOGEN_STRATEGY_DIR,
  type RunnerName,
  RUNNERS,
} from "./_runners.ts";
import { killCurrent, measure, type Measured, Proxy } from "./_measure.ts";
import { freePort } from "../../tests/hops_sshd.ts";
import {
  ansibleCfgText,
  type Assets,
  catSshCommand,
  inventoryText,
  knownHostsText,
  type Scenario,
  scenarioFiles,
  SCENARIOS,
  selectScenarios,
  sshCompression,
  type Target,
  TEXT_LINE,
  textFileLines,
  treeFiles,
} from "./_scenarios.ts";
import {
  chartSvg,
  evaluateTargets,
  type LinkName,
  LINKS,
  mergeSummaries,
  previousSummaries,
  replaceSection,
  resourceTable,
  type RunRecord,
  sortSummaries,
  summarize,
  targetTable,
  wallTable,
} from "./_report.ts";

const here = dirname(fromFileUrl(import.meta.url));
const root = dirname(dirname(here));

// The account the playbooks log in as. The plain account by default: root's shell rc on these machines runs
// `pyenv init`, 0.14 s of CPU per ssh login that belongs to no runner (it was half of fanout-200's wall
// time). The `-root` scenarios log in as root all the same, as many real plays do.
const LOGIN = {
  user: (env: ReturnType<typeof testEnv>, s: Scenario) =>
    s.login === "root" ? "root" : env.accounts.sudo_nopassword.user,
  description: "the test environment's plain account with passwordless sudo (`mito-nopw`, a stock " +
    "/etc/skel shell rc), not root, whose shell rc on these machines runs `pyenv init` (0.14 s of CPU per " +
    "login that is no runner's cost); the -sudo scenarios become root through sudo. The `-root` scenarios " +
    "(loop-100-items-root, loop-100-tasks-root, role-30-tasks-root) are the same plays logging in as root, " +
    "pyenv rc and all",
};
const PROXY_SCRIPT = proxyScript();
const PYTHON = "/usr/bin/python3";
const COLUMN_ORDER = [...RUNNERS, BASELINE];

interface Options {
  scenarios: Scenario[];
  rounds: number;
  runners: RunnerName[];
  links: LinkName[];
  warmup: boolean;
  build: boolean;
  mitoModules: string;
  maxInterpreters?: string;
  timeoutS: number;
  write: boolean;
  fresh: boolean;
  reportOnly: boolean;
  delayMs: number;
  argsText: string;
}

function parseOptions(args: string[]): Options {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rounds: { type: "string", default: "3" },
      runners: { type: "string" },
      links: { type: "string", default: LINKS.join(",") },
      quick: { type: "boolean", default: false },
      warmup: { type: "boolean", default: false },
      build: { type: "boolean", default: false },
      "mito-modules": { type: "string", default: "builtin" },
      "max-interpreters": { type: "string" },
      timeout: { type: "string", default: "900" },
      "no-write": { type: "boolean", default: false },
      fresh: { type: "boolean", default: false },
      "report-only": { type: "boolean", default: false },
      "delay-ms": { type: "string", default: "13" },
    },
  });
  const links = values.links!.split(",").map((s) => s.trim()).filter(Boolean);
  for (const l of links) {
    if (!(LINKS as readonly string[]).includes(l)) throw new Error(`unknown link '${l}' (known: ${LINKS})`);
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds wants a positive integer`);
  return {
    scenarios: selectScenarios(positionals, values.quick!),
    rounds,
    runners: parseRunners(values.runners),
    links: LINKS.filter((l) => links.includes(l)),
    warmup: values.warmup!,
    build: values.build!,
    mitoModules: values["mito-modules"]!,
    ...(values["max-interpreters"] ? { maxInterpreters: values["max-interpreters"] } : {}),
    timeoutS: Number(values.timeout),
    write: !values["no-write"],
    fresh: values.fresh!,
    reportOnly: values["report-only"]!,
    delayMs: Number(values["delay-ms"]),
    argsText: args.join(" "),
  };
}

/**
 * shared/tools/latency-proxy.py beside the checkout; from a git worktree, beside the main checkout (the
 * worktree's own parent holds no shared/).
 */
function proxyScript(): string {
  const rel = "shared/tools/latency-proxy.py";
  const beside = join(dirname(root), rel);
  if (existsSync(beside)) return beside;
  const common = spawnSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], {
    cwd: root,
    encoding: "utf8",
  }).stdout?.trim();
  return common ? join(dirname(dirname(common)), rel) : beside;
}

/** A file of random (incompressible) bytes, written in 1 MiB chunks. */
function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (let done = 0; done < bytes; done += chunk.length) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
    }
  } finally {
    closeSync(fd);
  }
}

/** `lines` lines of TEXT_LINE, written 16 Ki lines at a time. */
function writeTextFile(path: string, lines: number): void {
  const fd = openSync(path, "w");
  const block = Buffer.from(TEXT_LINE.repeat(16384));
  try {
    for (let done = 0; done < lines; done += 16384) {
      writeSync(fd, block, 0, Math.min(16384, lines - done) * TEXT_LINE.length);
    }
  } finally {
    closeSync(fd);
  }
}

/** One prepared run: where its files are and how to run it. */
interface Job {
  scenario: Scenario;
  link: LinkName;
  column: string;
  dir: string;
  controlDir: string;
  argv: string[];
  env: Record<string, string>;
  hosts: number;
}

export async function main(args: string[]): Promise<void> {
  const opts = parseOptions(args);
  if (opts.reportOnly) return report([], opts, []);
  const env = testEnv();
  const tmp = mkdtempSync(join(tmpdir(), "mito-bench-"));
  let proxy: Proxy | undefined;
  const controlDirs: string[] = [];
  const records: RunRecord[] = [];
  const notes: string[] = [];
  const cleanup = () => {
    killCurrent();
    proxy?.kill();
    for (const d of controlDirs) closeMasters(d);
    rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = () => {
    console.error("\ninterrupted: stopping the run in progress, the proxy and ssh masters");
    cleanup();
    // What was measured so far still counts (the run in progress does not).
    if (records.length) {
      report(records, opts, [...notes, "interrupted: not every run of this bench was made"]);
    }
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const proxyPort = await freePort();
    const knownHosts = join(tmp, "known_hosts");
    writeFileSync(
      knownHosts,
      knownHostsText(readFileSync(env.sshd.knownHosts, "utf8").split("\n")[0], "127.0.0.1", [
        env.sshd.port,
        proxyPort,
      ]),
    );
    const assets = prepareAssets(tmp, opts.scenarios);
    const runners: Runner[] = [];
    let rebuild = opts.build; // dist/mito once, for both of its runners
    for (const name of opts.runners) {
      mkdirSync(join(tmp, name, "cp"), { recursive: true });
      try {
        const r = makeRunner(name, { root, mitoModules: opts.mitoModules }, rebuild);
        if (name.startsWith("mito-bin")) rebuild = false;
        if (opts.maxInterpreters) {
          Object.assign(r.env, {
            MITOGEN_MAX_INTERPRETERS: opts.maxInterpreters,
            MITO_MAX_INTERPRETERS: opts.maxInterpreters,
          });
        }
        runners.push(r);
        controlDirs.push(join(tmp, name, "cp"));
      } catch (e) {
        if (!(e instanceof RunnerUnavailableError)) throw e;
        notes.push(`${name} skipped: ${e.message}`);
        console.error(`note: ${name} skipped: ${e.message}`);
      }
    }
    // The playbooks' directories on the target: the login account (not root) creates its own in here.
    chmodSync(tmp, 0o755);
    mkdirSync(join(tmp, "remote"), { mode: 0o1777 });
    chmodSync(join(tmp, "remote"), 0o1777);
    const target = (s: Scenario, column: string, link: LinkName): Target => ({
      host: "127.0.0.1",
      port: link === "loopback" ? env.sshd.port : proxyPort,
      user: LOGIN.user(env, s),
      identityFile: env.clientKey,
      knownHostsFile: knownHosts,
      python: PYTHON,
      // root's and the plain account's directories apart: neither may write in what the other made
      remoteDir: join(tmp, "remote", `${column}-${link}${s.login === "root" ? "-root" : ""}`),
      controlDir: join(tmp, column, "cp"),
    });
    const prepare = (s: Scenario, link: LinkName, column: string): Job => {
      const dir = join(tmp, column, `${s.name}-${link}`);
      mkdirSync(dir, { recursive: true });
      const t = target(s, column, link);
      const where = { scenario: s, link, column, dir, controlDir: t.controlDir };
      if (column === BASELINE) {
        const argv = ["/bin/sh", "-c", catSshCommand(s, t, assets.bigFiles[s.transferBytes!])];
        const env = { PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8" };
        return { ...where, argv, env, hosts: 1 };
      }
      const runner = runners.find((r) => r.name === column)!;
      for (const [f, text] of Object.entries(scenarioFiles(s, t, assets))) {
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        writeFileSync(join(dir, f), text);
      }
      writeFileSync(join(dir, "hosts"), inventoryText(s.hosts, t));
      const cfg = join(dir, "ansible.cfg");
      writeFileSync(
        cfg,
        ansibleCfgText(runner.flavour, MITOGEN_STRATEGY_DIR, { compression: sshCompression(s) }),
      );
      return {
        ...where,
        argv: [...runner.command, "-i", "hosts", "playbook.yml"],
        env: { ...runner.env, ANSIBLE_CONFIG: cfg },
        hosts: s.hosts,
      };
    };
    const runJob = async (job: Job): Promise<RunRecord> => {
      if (job.link === "lan26ms") {
        proxy = await Proxy.start({
          script: PROXY_SCRIPT,
          python: PYTHON,
          port: proxyPort,
          target: `${env.sshd.host}:${env.sshd.port}`,
          delayMs: opts.delayMs,
          statsFile: join(tmp, "proxy-stats.json"),
        });
      }
      let m: Measured;
      try {
        m = await measure({
          argv: job.argv,
          cwd: job.dir,
          env: job.env,
          timeoutS: opts.timeoutS,
          timeFile: join(tmp, "time.txt"),
          succeeded: job.column === BASELINE
            ? (code) => code === 0
            : (code, out) => recapOk(code, out, job.hosts),
        });
      } finally {
        if (job.column !== BASELINE) closeMasters(job.controlDir);
      }
      const stats = proxy ? await proxy.stop() : undefined;
      proxy = undefined;
      return {
        scenario: job.scenario.name,
        link: job.link,
        runner: job.column,
        ok: m.ok,
        wallS: m.wallS,
        cpuS: m.cpuS,
        maxRssMiB: m.maxRssMiB,
        treePssMiB: m.treePssMiB,
        ...(stats
          ? { upBytes: stats.up_bytes, downBytes: stats.down_bytes, connections: stats.connections }
          : {}),
        ...(m.ok ? {} : { tail: m.tail }),
      };
    };

    // Warm-up: one small untimed run per runner (Deno's module cache, the page cache, Python's .pyc).
    const base = SCENARIOS.find((s) => s.kind === "loop-items")!;
    const warm: Scenario = { ...base, name: "warm-up", group: "warm-up", items: 2 };
    for (const r of [...runners]) {
      const rec = await runJob(prepare(warm, "loopback", r.name));
      if (!rec.ok) {
        const why = `${r.name} failed its warm-up run (2 commands on loopback)`;
        console.error(`note: ${why}:\n${rec.tail ?? ""}`);
        notes.push(why);
      }
    }

    const jobs: Job[][] = [];
    for (const s of opts.scenarios) {
      for (const link of opts.links) {
        const columns: string[] = runners.map((r) => r.name)
          .filter((r) => !ANSIBLE_MODULES_RUNNERS.includes(r) || s.ansibleModules);
        if (s.kind === "file-transfer") columns.push(BASELINE);
        jobs.push(columns.map((c) => prepare(s, link, c)));
      }
    }
    if (opts.warmup) {
      for (const group of jobs) for (const job of group) await runJob(job);
    }
    for (let round = 0; round < opts.rounds; round++) {
      for (const group of jobs) {
        // Interleaved, and rotated each round so no runner always goes first.
        const order = group.map((_, i) => group[(i + round) % group.length]);
        for (const job of order) {
          const rec = await runJob(job);
          records.push(rec);
          const extra = rec.connections !== undefined
            ? `, ${rec.connections} conns, ${rec.upBytes}↑ ${rec.downBytes}↓ B`
            : "";
          console.error(
            `[${round + 1}/${opts.rounds}] ${job.scenario.name} ${job.link} ${job.column}: ` +
              `${rec.wallS.toFixed(2)} s, cpu ${rec.cpuS.toFixed(2)} s${extra}${rec.ok ? "" : " FAILED"}`,
          );
          if (!rec.ok) console.error(rec.tail);
        }
      }
    }

    report(records, opts, notes);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    cleanup();
  }
}

/** Prints the tables and the JSON line, and records them (merged with earlier figures) in docs/. */
function report(records: RunRecord[], opts: Options, notes: string[]): void {
  const meta = {
    date: new Date().toISOString().slice(0, 10),
    rounds: opts.rounds,
    load: Math.round(loadavg()[0] * 10) / 10,
    args: opts.argsText,
  };
  const docFile = join(root, "docs", "benchmarks.md");
  const doc = existsSync(docFile) ? readFileSync(docFile, "utf8") : "# Benchmarks\n";
  const order = SCENARIOS.map((s) => s.name);
  const all = sortSummaries(
    mergeSummaries(opts.fresh ? [] : previousSummaries(doc), summarize(records, meta)),
    order,
    COLUMN_ORDER,
  );
  const items = Object.fromEntries(SCENARIOS.map((s) => [s.name, s.items]));
  const valueBytes = Object.fromEntries(
    SCENARIOS.flatMap((s) => s.valueBytes ? [[s.name, s.valueBytes]] : []),
  );
  const targets = evaluateTargets(all, items, valueBytes);
  const wall = wallTable(all, COLUMN_ORDER);
  const tgt = targetTable(targets);
  const res = resourceTable(all);
  console.log(
    ["## wall time (median)", ...wall, "", "## targets", ...tgt, "", "## controller", ...res].join("\n"),
  );
  const json = {
    date: meta.date,
    platform: process.platform,
    cpus: cpus().length,
    load_average: meta.load,
    args: opts.argsText,
    mito_modules: opts.mitoModules,
    delay_ms: opts.delayMs,
    notes,
    results: all,
    targets,
  };
  if (opts.write) {
    writeFileSync(docFile, replaceSection(doc, sectionText(json, wall, tgt, res)));
    writeFileSync(join(root, "docs", "benchmarks.svg"), chartSvg(all, COLUMN_ORDER));
  }
  console.log(JSON.stringify(json));
}

function prepareAssets(tmp: string, scenarios: Scenario[]): Assets {
  const assets: Assets = { treeDir: join(tmp, "assets", "tree"), bigFiles: {} };
  if (scenarios.some((s) => s.kind === "loop-copies")) {
    for (const f of treeFiles()) {
      mkdirSync(dirname(join(assets.treeDir, f.path)), { recursive: true });
      writeFileSync(join(assets.treeDir, f.path), f.content);
    }
  }
  for (const s of scenarios) {
    if (!s.valueBytes || assets.textFiles?.[s.valueBytes]) continue;
    const file = join(tmp, "assets", `text-${s.valueBytes}.txt`);
    mkdirSync(dirname(file), { recursive: true });
    writeTextFile(file, textFileLines(s.valueBytes));
    assets.textFiles = { ...assets.textFiles, [s.valueBytes]: file };
  }
  for (const s of scenarios) {
    if (!s.transferBytes || assets.bigFiles[s.transferBytes]) continue;
    const file = join(tmp, "assets", `random-${s.transferBytes}.bin`);
    mkdirSync(dirname(file), { recursive: true });
    writeRandomFile(file, s.transferBytes);
    assets.bigFiles[s.transferBytes] = file;
  }
  return assets;
}

function sectionText(
  json: { date: string; cpus: number; load_average: number; args: string; notes: string[] },
  wall: string[],
  tgt: string[],
  res: string[],
): string {
  return [
    "## playbooks",
    "",
    `Written by \`deno task bench${
      json.args ? " " + json.args : ""
    }\` (scripts/bench/playbooks.ts) on ${json.date} ` +
    `(${process.platform}, ${json.cpus} CPUs, load average ${json.load_average} at the end); rows measured ` +
    "by earlier runs keep their date (see the last table). Same machine for every runner, one run of each " +
    "in turn per round, medians of the successful runs.",
    "",
    "- Runners: `ansible` is Debian's ansible-core 2.14 (ssh, pipelining, ControlPersist, forks 50); " +
    "`mitogen` the same with Debian's ansible-mitogen 0.3.3 (`strategy = mitogen_linear`); `mito` is " +
    "`mito run` from source under Deno, `mito-bin` the built `dist/mito`, both with `MITO_MODULES=builtin` " +
    "(mito's own modules, no Ansible modules), `mito-auto` `mito run` from source and `mito-bin-auto` the " +
    "built `dist/mito` (what users copy to their machines), both with `MITO_MODULES=auto`, the default " +
    "where ansible-core is installed (tasks run Ansible's own modules: `command` is ansible-core's " +
    "command.py), for the loop-100-items, loop-100-tasks and role-30-tasks " +
    "scenarios (role-30-tasks: a role of 30 file, template, lineinfile and command tasks); `ssh-cat` is " +
    "`cat file | ssh host 'cat > f'` (plain OpenSSH, " +
    "the file-transfer baseline). All read the same generated ansible.cfg and inventory; every host has " +
    "its own ssh ControlPath, so N inventory hosts are N connections to the one test sshd. ssh_args are " +
    "Ansible's defaults (`-C -o ControlMaster=auto -o ControlPersist=60s`) except for file-transfer, " +
    "which leaves out `-C` like its baseline (zlib over a random file is only cost).",
    `- Every runner logs in as ${LOGIN.description}.`,
    "- Links: `loopback` is the test sshd on 127.0.0.1; `lan26ms` the same sshd behind " +
    "`latency-proxy.py --delay-ms 13` (26 ms round trip), started afresh for every run.",
    "- Each playbook ends by checking its work on the target (file counts, sizes, registered results, one " +
    "distinct ssh connection per host); a run counts only if it exits 0 and every host is ok in the recap.",
    "- CPU = user+sys of the runner and the children it waited for (GNU time); max RSS = the largest single " +
    "process; tree PSS = peak of the summed PSS of the runner's whole process tree (ssh clients included), " +
    "sampled every 200 ms. Ansible's ControlPersist masters detach from the tree and are not counted. " +
    "Bytes (client → sshd is up) and connections come from the proxy, so they exist for lan26ms only (n/a on " +
    "loopback, where no proxy sits in between so as not to slow the link).",
    "- fanout memory per host = (tree PSS at 200 hosts − at 50 hosts) / 150. Bytes per loop item = all " +
    "bytes of the loop-100-items run / 100 (bootstrap included). file-transfer % = ssh-cat's wall time / " +
    "the runner's (each includes its ssh connection).",
    "- Rows measured with `--max-interpreters N` ran with MITOGEN_MAX_INTERPRETERS=N and " +
    "MITO_MAX_INTERPRETERS=N for every runner (both default to 20 interpreters per parent); the `args` of " +
    "each row are in the JSON below.",
    ...json.notes.map((n) => `- Note: ${n}.`),
    "",
    "### wall time (median)",
    "",
    ...wall,
    "",
    "![median wall time per scenario and runner](benchmarks.svg)",
    "",
    "### targets (issues 6 and 18)",
    "",
    "`modules` says which modules the runner's tasks ran: the rows of `mito-auto` and `mito-bin-auto` are " +
    "Ansible's own modules, what mito runs by default where ansible-core is installed " +
    "(`MITO_MODULES=auto`); `mito` and `mito-bin` run " +
    "mito's built-in modules (`MITO_MODULES=builtin`; what mito runs where ansible-core is not installed).",
    "",
    ...tgt,
    "",
    "### controller resources (medians)",
    "",
    ...res,
    "",
    "```json",
    JSON.stringify(json),
    "```",
    "",
  ].join("\n");
}

if (import.meta.main) await main(process.argv.slice(2));
