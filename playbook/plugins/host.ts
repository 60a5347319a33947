// The plugin host: one local Python process for the whole run, started when a template first needs a
// Python plugin (bootstrap/plugin_host.py). Calls are synchronous (_channel.ts); a plugin's exception
// becomes the error Ansible's templating would raise for it.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RemoteError } from "../../core/mod.ts";
import { EMBEDDED } from "../../bootstrap/_embedded.ts";
import { LookupError, LookupOptionsError, TemplateError, UndefinedError } from "../template/mod.ts";
import { type CallHandler, ChannelClosedError, SyncChannel } from "./_channel.ts";
import { fromWire, toWire } from "./_wire.ts";

/** The host's Python files: mito.core (framing and codec) and the host itself. */
const SOURCES = ["bootstrap/core.py", "bootstrap/plugin_host.py"];

/** A plugin raised an exception Ansible reports with its class (`<class 'ValueError'>`) as the name. */
export class PluginError extends Error {
  constructor(message: string, readonly pyClass: string) {
    super(message);
    this.name = pyClass;
  }
}

/** The plugin host could not be started or stopped answering. */
export class PluginHostError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = "PluginHostError";
  }
}

export interface PluginHostOptions {
  /** The controller's Python (Ansible's plugins run in ansible-playbook's own interpreter). */
  python: string;
  /** Collection roots, in Ansible's order: where `ansible_collections.*` is imported from. */
  collectionRoots: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Where the host's Python files are kept so that Python caches their bytecode (default ~/.cache/mito). */
  cacheDir?: string;
  /** Warnings of plugin loading (Ansible's display.warning). */
  warn?: (message: string) => void;
}

/** What the host says about itself once started. */
export interface HostInfo {
  pid: number;
  python: number[];
  /** Whether ansible-core's Python package is importable there. */
  ansible: boolean;
}

export class PluginHost {
  readonly #opts: PluginHostOptions;
  #channel: SyncChannel | undefined;
  #info: HostInfo | undefined;
  #scratch: string | undefined;
  /** Why the host could not be started: said again to every later caller, not tried again. */
  #failed: PluginHostError | undefined;

  constructor(opts: PluginHostOptions) {
    this.#opts = opts;
  }

  /** Whether the host has been started (a run that needs no Python plugin never starts it). */
  get started(): boolean {
    return this.#channel !== undefined;
  }

  get pid(): number | undefined {
    return this.#channel?.pid;
  }

  /** Starts the host when it is not running yet, and says what it found. */
  info(): HostInfo {
    if (this.#info) return this.#info;
    if (this.#channel?.closed) throw new PluginHostError("the plugin host has exited");
    if (this.#failed) throw this.#failed;
    const dir = this.#sourceDir();
    // bytecode of the host's own files is cached beside them whatever PYTHONDONTWRITEBYTECODE says
    const code = `import sys;w=sys.dont_write_bytecode;sys.dont_write_bytecode=False;` +
      `sys.pycache_prefix=${JSON.stringify(path.join(dir, "pycache"))};sys.path.insert(0,${
        JSON.stringify(dir)
      });` +
      `from mito import plugin_host;sys.pycache_prefix=None;sys.dont_write_bytecode=w;plugin_host.main()`;
    let channel: SyncChannel | undefined;
    try {
      channel = new SyncChannel({
        argv: [this.#opts.python, "-c", code],
        cwd: this.#opts.cwd,
        env: this.#opts.env,
      });
      this.#channel = channel;
      const info = channel.call("configure", false, [this.#opts.collectionRoots]) as Record<string, unknown>;
      this.#info = { pid: Number(info.pid), python: info.python as number[], ansible: info.ansible === true };
    } catch (e) {
      channel?.close();
      throw this.#failed = new PluginHostError(
        `the plugin host (${this.#opts.python}) could not be started: ${(e as Error).message}`,
      );
    }
    return this.#info;
  }

  /** Calls the host; a plugin's exception is returned as Ansible's error for it (see `error`). */
  call(method: string, args: unknown[], opts: { serve?: CallHandler; lookup?: boolean } = {}): unknown {
    this.info();
    const wire = toWire(args);
    const answer = opts.serve;
    const serve: CallHandler | undefined = answer && ((m, a) => toWire(answer(m, a.map(fromWire))).value);
    let reply: unknown;
    try {
      reply = this.#channel!.call(method, wire.marked, wire.value as unknown[], serve);
    } catch (e) {
      if (e instanceof RemoteError) throw pluginError(e, opts.lookup === true);
      if (e instanceof ChannelClosedError) {
        throw new PluginHostError(`the plugin host has exited: ${e.message}`);
      }
      throw e;
    }
    return fromWire(reply);
  }

  /**
   * Calls the host without blocking the event loop, for calls whose calls back (`serve`) wait for targets
   * (action plugins). Never mixed with `call` on the same host: both would read its FIFO.
   */
  async callAsync(
    method: string,
    args: unknown[],
    serve: (method: string, args: unknown[]) => Promise<unknown>,
  ): Promise<unknown> {
    this.info();
    const wire = toWire(args);
    let reply: unknown;
    try {
      reply = await this.#channel!.callAsync(
        method,
        wire.marked,
        wire.value as unknown[],
        async (m, a) => toWire(await serve(m, a.map(fromWire))).value,
      );
    } catch (e) {
      if (e instanceof RemoteError) throw pluginError(e, false);
      if (e instanceof ChannelClosedError) {
        throw new PluginHostError(`the plugin host has exited: ${e.message}`);
      }
      throw e;
    }
    return fromWire(reply);
  }

  /** Stops the host (by pid) and removes what it was given; idempotent. */
  close(): void {
    this.#channel?.close();
    if (this.#scratch) fs.rmSync(this.#scratch, { recursive: true, force: true });
    this.#scratch = undefined;
  }

  /**
   * A directory holding the package `mito` with the host's files: in the user's cache (named by their
   * content, so Python's bytecode cache there serves later runs), else in a private temporary directory.
   */
  #sourceDir(): string {
    const sources = SOURCES.map((f) => {
      const text = EMBEDDED[f];
      if (text === undefined) throw new PluginHostError(`${f} is not embedded (run scripts/embed.ts)`);
      return text;
    });
    const hash = createHash("sha256").update(sources.join("\0")).digest("hex").slice(0, 16);
    const fill = (dir: string) => {
      fs.mkdirSync(path.join(dir, "mito"), { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, "mito", "__init__.py"), "");
      SOURCES.forEach((f, i) => fs.writeFileSync(path.join(dir, "mito", path.basename(f)), sources[i]));
    };
    const env = this.#opts.env ?? {};
    const cache = this.#opts.cacheDir ??
      path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache"), "mito");
    const dir = path.join(cache, `plugin-host-${hash}`);
    try {
      if (fs.existsSync(path.join(dir, "mito", "plugin_host.py"))) return dir;
      fs.mkdirSync(cache, { recursive: true, mode: 0o700 });
      const tmp = fs.mkdtempSync(path.join(cache, ".plugin-host-"));
      fill(tmp);
      try {
        fs.renameSync(tmp, dir);
      } catch {
        fs.rmSync(tmp, { recursive: true, force: true }); // another run put it there first
      }
      if (fs.existsSync(path.join(dir, "mito", "plugin_host.py"))) return dir;
    } catch { /* no usable cache: a private directory for this run */ }
    this.#scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mito-plugin-host-"));
    fill(this.#scratch);
    return this.#scratch;
  }
}

/**
 * A plugin's exception as Ansible's templating reports it: an undefined variable as such, an AnsibleError's
 * message as it is (AnsibleLookupError as a lookup's own failure), a TypeError as Python's; anything else
 * carries its class, which Ansible names in a lookup's error.
 */
function pluginError(e: RemoteError, lookup: boolean): Error {
  const data = (e.data ?? {}) as { kind?: string; cls?: string };
  const msg = e.remoteMessage;
  switch (data.kind) {
    case "undefined":
      return new UndefinedError(msg, /^'([^']*)' is undefined/.exec(msg)?.[1] ?? "");
    case "lookup":
      return new LookupError(msg);
    case "options":
      return new LookupOptionsError(msg);
    case "ansible":
      return lookup ? new PluginError(msg, data.cls ?? e.type) : new TemplateError(msg);
    case "type":
      if (!lookup) return new TypeError(msg);
  }
  return new PluginError(msg, data.cls ?? `<class '${e.type}'>`);
}
