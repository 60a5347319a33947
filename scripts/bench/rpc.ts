// `deno task bench rpc`: mito's protocol against Mitogen's own library (Debian python3-mitogen), side by
// side in one run, same machine, same target interpreter: bootstrap time (connect + first call) local and
// over ssh, sequential call round trip, pipelined calls per second, and bytes through the target's
// read()/write() per call. The two take turns (--repeat, 3) and each figure is the median of its turns.
// Prints a table, records it in docs/benchmarks.md ("rpc" section), and ends with the figures as one JSON
// object.
//
// ssh target: --ssh user@host:port --key FILE --known-hosts FILE; else the test environment's sshd
// (scripts/testenv up); else a private sshd on loopback started for the run (the current user's login).
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import { dirname, fromFileUrl, join } from "../_paths.ts";
import { Broker, type Context } from "../../transports/broker.ts";
import { defaultMethods } from "../../transports/methods.ts";
import { coreBlob, firstStageCode } from "../../transports/_bootstrap.ts";
import { hopsEnv } from "../../tests/hops_env.ts";
import { type PrivateSshd, startPrivateSshd } from "../../tests/hops_sshd.ts";

const here = dirname(fromFileUrl(import.meta.url));
const root = dirname(dirname(here));

interface SshTarget {
  hostname: string;
  port: number;
  username: string;
  identityFile: string;
  knownHostsFile: string;
}

interface Figures {
  bootstrap_ms: number;
  rtt_us: number;
  pipelined_per_s: number;
  wire_bytes_per_call: number;
}

interface Config {
  python: string;
  rounds: number;
  calls: number;
  pipelined: number;
  ssh: SshTarget | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function ioBytes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/io`, "utf8");
  const field = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, "m").exec(text)![1]);
  return field("rchar") + field("wchar");
}

async function measureMito(connect: () => Promise<Context>, cfg: Config): Promise<Figures> {
  const boots: number[] = [];
  for (let i = 0; i < cfg.rounds; i++) {
    const t0 = performance.now();
    const ctx = await connect();
    await ctx.call("operator", "add", [1, 2]);
    boots.push(performance.now() - t0);
    await ctx.shutdown();
  }
  const ctx = await connect();
  const pid = ctx.info!.pid;
  for (let i = 0; i < 200; i++) await ctx.call("operator", "add", [1, 2]);
  const before = ioBytes(pid);
  let t0 = performance.now();
  for (let i = 0; i < cfg.calls; i++) await ctx.call("operator", "add", [1, i]);
  const rtt = (performance.now() - t0) / cfg.calls;
  const wire = (ioBytes(pid) - before) / cfg.calls;
  t0 = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < cfg.pipelined; i++) pending.push(ctx.call("operator", "add", [1, i]));
  await Promise.all(pending);
  const rate = cfg.pipelined / ((performance.now() - t0) / 1000);
  await ctx.shutdown();
  return {
    bootstrap_ms: round(median(boots), 2),
    rtt_us: round(rtt * 1000, 2),
    pipelined_per_s: Math.round(rate),
    wire_bytes_per_call: round(wire, 1),
  };
}

type MitoFigures = { local: Figures; ssh?: Figures; ssh2?: Figures };

/**
 * What starting a context sends before its first call, in bytes: the first stage's `-c` code, the
 * compressed core, and the compiled core that local contexts get beside it (docs/protocol.md "Bootstrap").
 */
interface BootstrapBytes {
  first_stage: number;
  core: number;
  compiled_core: number;
}

async function bootstrapBytes(python: string): Promise<BootstrapBytes> {
  const broker = new Broker({});
  try {
    const ctx = await broker.connect({ method: "local", python });
    const compiled = await ctx.call<Uint8Array>("mito.core", "compiled_core");
    return { first_stage: firstStageCode().length, core: coreBlob().length, compiled_core: compiled.length };
  } finally {
    await broker.shutdown();
  }
}
type MitogenFigures = { version: string; local: Figures; ssh?: Figures };

async function measureMitoAll(cfg: Config, ssh: SshTarget | null): Promise<MitoFigures> {
  const broker = new Broker({ methods: defaultMethods() });
  try {
    const mito: MitoFigures = {
      local: await measureMito(() => broker.connect({ method: "local", python: cfg.python }), cfg),
    };
    if (ssh) {
      mito.ssh = await measureMito(
        () => broker.connect({ method: "ssh", python: cfg.python, compression: false, ...ssh }),
        cfg,
      );
      // The in-process transport has no Mitogen counterpart; measured for comparison with OpenSSH.
      mito.ssh2 = await measureMito(
        () => broker.connect({ method: "ssh2", python: cfg.python, agent: false, ...ssh }),
        cfg,
      );
    }
    return mito;
  } finally {
    await broker.shutdown();
  }
}

/** Per transport and figure, the median over runs. */
function medianOf(runs: Record<string, unknown>[]): Record<string, Figures> {
  const out: Record<string, Figures> = {};
  for (const transport of ["local", "ssh", "ssh2"]) {
    const got = runs.map((r) => r[transport] as Figures | undefined).filter((f): f is Figures => !!f);
    if (!got.length) continue;
    const f = {} as Figures;
    for (const key of Object.keys(got[0]) as (keyof Figures)[]) f[key] = median(got.map((g) => g[key]));
    out[transport] = f;
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function runMitogen(cfg: Config): Promise<MitogenFigures> {
  const pyCfg = {
    python: cfg.python,
    rounds: cfg.rounds,
    calls: cfg.calls,
    pipelined: cfg.pipelined,
    ssh: cfg.ssh && {
      hostname: cfg.ssh.hostname,
      port: cfg.ssh.port,
      username: cfg.ssh.username,
      identity_file: cfg.ssh.identityFile,
      known_hosts: cfg.ssh.knownHostsFile,
    },
  };
  return new Promise((resolve, reject) => {
    execFile(
      "/usr/bin/python3",
      [join(here, "_mitogen_rpc.py"), JSON.stringify(pyCfg)],
      { timeout: 600_000, maxBuffer: 1 << 20, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`Mitogen benchmark failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
      },
    );
  });
}

function testenvSsh(): SshTarget | null {
  let env;
  try {
    env = hopsEnv();
  } catch {
    return null;
  }
  return {
    hostname: env.host,
    port: env.port,
    username: env.key.user,
    identityFile: env.clientKey,
    knownHostsFile: env.knownHosts,
  };
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      python: { type: "string", default: "/usr/bin/python3" },
      rounds: { type: "string", default: "7" },
      calls: { type: "string", default: "3000" },
      pipelined: { type: "string", default: "10000" },
      repeat: { type: "string", default: "3" },
      ssh: { type: "string" },
      key: { type: "string" },
      "known-hosts": { type: "string" },
      "no-write": { type: "boolean", default: false },
    },
  });
  let ssh: SshTarget | null = null;
  if (values.ssh) {
    const m = /^([^@]+)@([^:]+):(\d+)$/.exec(values.ssh);
    if (!m || !values.key || !values["known-hosts"]) {
      throw new Error("--ssh takes user@host:port and needs --key and --known-hosts");
    }
    ssh = {
      username: m[1],
      hostname: m[2],
      port: Number(m[3]),
      identityFile: values.key,
      knownHostsFile: values["known-hosts"],
    };
  } else {
    ssh = testenvSsh();
  }
  let sshTarget = values.ssh ? `--ssh ${values.ssh}` : "the test environment's sshd";
  let privateSshd: PrivateSshd | undefined;
  if (!ssh) {
    // No shared test environment: a private sshd on loopback, logging in as the current user.
    privateSshd = await startPrivateSshd();
    ssh = {
      hostname: privateSshd.host,
      port: privateSshd.port,
      username: privateSshd.user,
      identityFile: privateSshd.clientKey,
      knownHostsFile: privateSshd.knownHosts,
    };
    sshTarget = `a private sshd, logging in as ${privateSshd.user}`;
  }
  const cfg: Config = {
    python: values.python!,
    rounds: Number(values.rounds),
    calls: Number(values.calls),
    pipelined: Number(values.pipelined),
    ssh,
  };

  // mito and Mitogen take turns, --repeat times, and each figure is the median of its turns: this VM's
  // speed drifts by up to 2× within minutes, which one long run of each would put into the ratios.
  const mitoRuns: MitoFigures[] = [];
  const mitogenRuns: MitogenFigures[] = [];
  try {
    for (let r = 0; r < Number(values.repeat); r++) {
      mitoRuns.push(await measureMitoAll(cfg, ssh));
      mitogenRuns.push(await runMitogen(cfg));
    }
  } finally {
    await privateSshd?.stop();
  }
  const mito = medianOf(mitoRuns) as MitoFigures;
  const mitogen = { ...medianOf(mitogenRuns), version: mitogenRuns[0].version } as MitogenFigures;

  const rows: [string, keyof Figures, "lower" | "higher", string][] = [
    ["bootstrap", "bootstrap_ms", "lower", "ms"],
    ["sequential call round trip", "rtt_us", "lower", "µs"],
    ["pipelined calls", "pipelined_per_s", "higher", "/s"],
    ["bytes per call (target read+write)", "wire_bytes_per_call", "lower", "B"],
  ];
  const lines: string[] = [];
  const pad = (s: string, n: number) => s.padEnd(n);
  lines.push(
    `${pad("rpc (target " + cfg.python + ")", 44)}${pad("mito", 14)}${
      pad("Mitogen " + mitogen.version, 16)
    }speed-up`,
  );
  // Both sides ran on this machine in turn; a busy machine slows both, so the load is part of the result.
  const json: Record<string, unknown> = {
    python: cfg.python,
    mitogen_version: mitogen.version,
    cpus: cpus().length,
    load_average: Math.round(loadavg()[0] * 10) / 10,
    ssh_target: sshTarget,
    turns: mitoRuns.length,
  };
  for (const transport of ["local", "ssh", "ssh2"] as const) {
    const a = mito[transport];
    const b = transport === "ssh2" ? undefined : mitogen[transport];
    if (!a) continue;
    for (const [label, key, better, unit] of rows) {
      const ratio = !b ? "" : (better === "lower" ? b[key] / a[key] : a[key] / b[key]).toFixed(2) + "×";
      const theirs = b ? `${b[key]} ${unit}` : "(no ssh2)";
      lines.push(
        `${pad(`${label}, ${transport}`, 44)}${pad(`${a[key]} ${unit}`, 14)}${pad(theirs, 16)}${ratio}`,
      );
    }
    json[transport] = b ? { mito: a, mitogen: b } : { mito: a };
  }
  const bytes = await bootstrapBytes(cfg.python);
  json.bootstrap_bytes = bytes;
  lines.push(
    `bootstrap bytes: first stage ${bytes.first_stage} B + core ${bytes.core} B (zlib) ` +
      `+ compiled core ${bytes.compiled_core} B (local contexts only)`,
  );
  console.log(lines.join("\n"));
  if (!values["no-write"]) recordMarkdown(lines, json);
  console.log(JSON.stringify(json));
}

/** Replaces (or appends) the "## rpc" section of docs/benchmarks.md. */
function recordMarkdown(table: string[], json: Record<string, unknown>): void {
  const file = join(root, "docs", "benchmarks.md");
  const old = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const section = [
    "## rpc",
    "",
    `\`deno task bench rpc\` on ${
      new Date().toISOString().slice(0, 10)
    } (${process.platform}, ${json.cpus} CPUs, load average ${json.load_average} at the end; same machine, ` +
    `same target interpreter for both; ssh to ${json.ssh_target}). Bootstrap = connect + first call (median); ` +
    "round trip = sequential " +
    "`operator.add` calls; pipelined = many calls in flight; bytes = the target's read()+write() per call. " +
    `mito and Mitogen took ${json.turns} turns each, alternating; every figure is the median of its turns.`,
    "",
    "```",
    ...table,
    "```",
    "",
    "```json",
    JSON.stringify(json),
    "```",
    "",
  ].join("\n");
  const re = /## rpc\n[\s\S]*?(?=\n## |$)/;
  const text = re.test(old) ? old.replace(re, section.trimEnd() + "\n") : old.trimEnd() + "\n\n" + section;
  writeFileSync(file, text);
}

if (import.meta.main) await main(process.argv.slice(2));
