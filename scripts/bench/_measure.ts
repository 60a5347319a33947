// Side effects of the playbook benchmark: running one command under GNU time while sampling its process
// tree's memory, and the latency proxy that stands for a 26 ms link and counts bytes and connections.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import process from "node:process";

/** What one run of a runner cost on the controller. */
export interface Measured {
  ok: boolean;
  exitCode: number;
  wallS: number;
  /** user+sys of the runner and every child it waited for (GNU time's rusage). */
  cpuS: number;
  /** Largest resident set of any one process of the tree (GNU time %M), MiB. */
  maxRssMiB: number;
  /** Peak of the summed PSS of the whole process tree, sampled every 200 ms, MiB. */
  treePssMiB: number;
  /** Last lines of output when the run failed. */
  tail?: string;
}

export interface RunSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutS: number;
  /** File GNU time writes its figures to. */
  timeFile: string;
  /** Decides from the exit code and stdout whether the run did its work. */
  succeeded: (code: number, stdout: string) => boolean;
}

const SAMPLE_MS = 200;

/** Children of every process (pid → child pids), from /proc. */
function childMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = map.get(ppid) ?? [];
    list.push(Number(entry));
    map.set(ppid, list);
  }
  return map;
}

function pssKiB(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const m = /^Pss:\s+(\d+) kB/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Summed PSS (KiB) of `root` and all its descendants. */
export function treePssKiB(root: number): number {
  const children = childMap();
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += pssKiB(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

let current: ChildProcess | undefined;

/** Kills the process group of the run in progress (SIGINT handler, timeouts). */
export function killCurrent(): void {
  if (current?.pid && current.exitCode === null) {
    try {
      process.kill(-current.pid, "SIGKILL");
    } catch { /* already gone */ }
  }
}

/** The first lines naming a failure, then the last lines of the output (usually the recap). */
export function failureLines(out: string): string {
  const lines = out.trimEnd().split("\n");
  const causes = lines.filter((l) => /fatal:|FAILED!|UNREACHABLE!|ERROR|[Ee]rror:/.test(l)).slice(0, 5);
  return [...causes.map((l) => l.slice(0, 500)), "...", ...lines.slice(-8)].join("\n");
}

/** Runs `spec.argv` under /usr/bin/time in its own process group; never throws for a failing command. */
export function measure(spec: RunSpec): Promise<Measured> {
  rmSync(spec.timeFile, { force: true });
  const argv = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", spec.timeFile, "--", ...spec.argv];
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  current = child;
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => out += d);
  child.stderr!.setEncoding("utf8").on("data", (d: string) => out += d);
  let peak = 0;
  const sampler = setInterval(() => {
    if (child.pid) peak = Math.max(peak, treePssKiB(child.pid));
  }, SAMPLE_MS);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killCurrent();
  }, spec.timeoutS * 1000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      const wallS = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      clearTimeout(timer);
      current = undefined;
      const exitCode = code ?? -1;
      const [, user, sys, rssKiB] = existsSync(spec.timeFile)
        ? readFileSync(spec.timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number)
        : [NaN, NaN, NaN, NaN];
      const ok = !timedOut && spec.succeeded(exitCode, out);
      resolve({
        ok,
        exitCode,
        wallS,
        cpuS: user + sys,
        maxRssMiB: rssKiB / 1024,
        treePssMiB: peak / 1024,
        ...(ok ? {} : {
          tail: (timedOut ? `timed out after ${spec.timeoutS} s\n` : "") +
            failureLines(out),
        }),
      });
    });
  });
}

/** Whether something listens on 127.0.0.1:port (read from /proc/net/tcp, so no connection is counted). */
function listening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync("/proc/net/tcp", "utf8").split("\n").some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1] === `0100007F:${hex}` && f[3] === "0A";
  });
}

export interface ProxyStats {
  up_bytes: number;
  down_bytes: number;
  connections: number;
}

export interface ProxyOptions {
  script: string;
  python: string;
  port: number;
  target: string;
  delayMs: number;
  statsFile: string;
}

/** One latency-proxy process; started per run so its byte and connection counts are that run's. */
export class Proxy {
  #child: ChildProcess;
  #exited: Promise<void>;
  readonly options: ProxyOptions;

  private constructor(child: ChildProcess, options: ProxyOptions) {
    this.#child = child;
    this.options = options;
    this.#exited = new Promise((resolve) => child.on("close", () => resolve()));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  static async start(o: ProxyOptions): Promise<Proxy> {
    rmSync(o.statsFile, { force: true });
    const child = spawn(o.python, [
      o.script,
      "--listen",
      `127.0.0.1:${o.port}`,
      "--target",
      o.target,
      "--delay-ms",
      String(o.delayMs),
      "--stats",
      o.statsFile,
    ], { stdio: ["ignore", "ignore", "inherit"] });
    const proxy = new Proxy(child, o);
    const deadline = Date.now() + 10_000;
    while (!listening(o.port)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        proxy.kill();
        throw new Error(`latency proxy did not listen on 127.0.0.1:${o.port}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return proxy;
  }

  /** Stops the proxy (SIGTERM makes it write its counts) and returns what it counted. */
  async stop(): Promise<ProxyStats> {
    this.#child.kill("SIGTERM");
    const killer = setTimeout(() => this.kill(), 5000);
    await this.#exited;
    clearTimeout(killer);
    return JSON.parse(readFileSync(this.options.statsFile, "utf8"));
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill("SIGKILL");
  }
}
