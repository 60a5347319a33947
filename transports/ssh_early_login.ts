// A run's first OpenSSH login, started before mito has loaded and parsed anything.
//
// From source, mito spends ~0.1 s loading its modules and reading ansible.cfg, the inventory and the
// playbook before its first ssh starts, and OpenSSH's login then takes ~0.2 s more (its key exchange is
// CPU-bound; the controller sits idle meanwhile). A run remembers the argv of its first ssh login, keyed by
// its command, arguments, working directory and environment; the next run with the same key starts that
// argv at once, so the login overlaps mito's own start. The run itself still decides what it connects to
// and how: ssh's transport adopts the early process only for the run's first ssh spawn, and only when that
// spawn's argv is exactly the remembered one and the process is still running; anything else kills it
// unused, and the spawn goes on as if nothing had been started. The first stage it runs waits for its
// payload, which is written only once adopted (a process killed unused ends at the EOF, having run
// nothing). A login with a password (askpass) is never remembered nor adopted. MITO_EARLY_LOGIN=0 turns
// this off. The key includes the executable running mito: two builds (Deno from source, the Node binary)
// compress the first stage differently, so their argv differ, and sharing a key made each kill the
// other's early login.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { refChild, unrefChild } from "./_process.ts";

/** An early login not adopted by then is killed: the run's first ssh spawn comes later than that. */
const UNADOPTED_MS = 30_000;
/** Remembered logins kept; beyond that the least recently written go (one per command line and place). */
export const KEPT_LOGINS = 256;

export interface EarlyLoginOptions {
  /** The mito command ("run", "adhoc") and its arguments. */
  command: string;
  argv: string[];
  /** Default: this process's working directory. */
  cwd?: string;
  /** The executable running mito; default: this process's (process.execPath). */
  executable?: string;
  env: Record<string, string | undefined>;
  /** Where the remembered logins are kept; default $XDG_CACHE_HOME/mito, else ~/.cache/mito. */
  cacheDir?: string;
}

interface Early {
  argv: string[];
  child: ChildProcess;
  failed: boolean;
  timer: ReturnType<typeof setTimeout>;
}

/** One run's early login: what it started, which spawn was its first, and where its key's argv is kept. */
export class EarlyLogins {
  #file?: string;
  #early?: Early;
  #firstArgv?: string[];
  #remembered = false;

  /**
   * Starts the login the last run with the same key made first, if any, and keeps the key so that this
   * run's first login is remembered for the next one. Never throws: without a usable cache nothing happens.
   */
  start(o: EarlyLoginOptions): void {
    if (o.env.MITO_EARLY_LOGIN === "0" || this.#file !== undefined) return;
    try {
      const env = Object.entries(o.env).filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
      const where = o.cwd ?? process.cwd();
      const key = keyOf(JSON.stringify([o.executable ?? process.execPath, o.command, o.argv, where, env]));
      const dir = o.cacheDir ??
        path.join(o.env.XDG_CACHE_HOME || path.join(o.env.HOME || os.homedir(), ".cache"), "mito");
      this.#file = path.join(dir, "logins", `${key}.json`);
      const argv = rememberedArgv(this.#file);
      if (argv) this.#early = this.#spawn(argv);
    } catch {
      this.#file = undefined;
    }
  }

  /** The pid of the early login while it waits to be adopted. */
  get waiting(): number | undefined {
    return this.#early?.child.pid;
  }

  /**
   * For ssh's transport, at each spawn: the early process when this is the run's first ssh spawn, its argv
   * is the remembered one and it still runs (it and its pipes then hold the event loop again); else
   * undefined, and an early process not taken is killed.
   */
  adopt(argv: string[], withPassword: boolean): ChildProcess | undefined {
    if (this.#firstArgv !== undefined) return undefined;
    this.#firstArgv = argv;
    const e = this.#early;
    this.#early = undefined;
    if (!e) return undefined;
    clearTimeout(e.timer);
    const running = !e.failed && e.child.exitCode === null && e.child.signalCode === null;
    if (withPassword || !running || !sameArgv(e.argv, argv)) {
      kill(e.child);
      return undefined;
    }
    refChild(e.child);
    return e.child;
  }

  /** For ssh's transport: a spawn logged in (its remote command started); the run's first is remembered. */
  loggedIn(argv: string[], withPassword: boolean): void {
    if (argv !== this.#firstArgv || withPassword || this.#remembered || this.#file === undefined) return;
    this.#remembered = true;
    try {
      if (sameArgv(rememberedArgv(this.#file) ?? [], argv)) return;
      fs.mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
      const tmp = `${this.#file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ argv }), { mode: 0o600 });
      fs.renameSync(tmp, this.#file);
      prune(path.dirname(this.#file));
    } catch { /* no cache: the next run starts its login in its turn */ }
  }

  /** As ssh's transport spawns it, but holding nothing (the run may never take it). */
  #spawn(argv: string[]): Early {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      env: process.env,
    });
    const e: Early = {
      argv,
      child,
      failed: false,
      timer: setTimeout(() => {
        if (this.#early === e) this.#early = undefined;
        kill(child);
      }, UNADOPTED_MS),
    };
    (e.timer as { unref?: () => void }).unref?.();
    child.once("error", () => void (e.failed = true));
    child.stdin!.on("error", () => {});
    unrefChild(child);
    process.once("exit", () => {
      if (this.#early === e) kill(child);
    });
    return e;
  }
}

/** This process's run: cli/main.ts starts it, ssh's transport adopts from it. */
export const earlyLogins: EarlyLogins = new EarlyLogins();

/** The argv kept in `file`, if the file is this user's own, writable by nobody else, and well formed. */
function rememberedArgv(file: string): string[] | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  const uid = process.getuid?.();
  if (!st.isFile() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
  try {
    const argv = (JSON.parse(fs.readFileSync(file, "utf8")) as { argv?: unknown }).argv;
    if (Array.isArray(argv) && argv.length > 1 && argv.every((a) => typeof a === "string")) return argv;
  } catch { /* unreadable or not JSON: ignored */ }
  return undefined;
}

/**
 * 64 bits of two FNV-style hashes: a file name, not a digest (a collision only starts a login whose argv
 * then does not match). node:crypto is not used: loading it would cost the early login ~20 ms of its head
 * start.
 */
function keyOf(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

/** Keeps the KEPT_LOGINS most recently written logins of `dir`. */
function prune(dir: string): void {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith(".json"));
  if (names.length <= KEPT_LOGINS) return;
  const written = names.map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs })).sort((a, b) =>
    b.t - a.t
  );
  for (const { n } of written.slice(KEPT_LOGINS)) fs.rmSync(path.join(dir, n), { force: true });
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

function sameArgv(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
