// The controller's connection API: starts contexts (directly or via other contexts), pumps their streams
// through the pure router, answers module requests and log records, and hands out Context objects for
// calls. Connections are reused by stack, counted, and capped per parent (least recently used idle first).
import os from "node:os";
import process from "node:process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  ENC_RAW,
  encodeFrame,
  type Frame,
  FrameDecoder,
  HEADER_SIZE,
  writeHeader,
} from "../core/frame.ts";
import { Router } from "../core/router.ts";
import { callFrame, type CallOptions, type CallSpec, CallTable, ContextGoneError } from "../core/calls.ts";
import { ImporterResponder, type ModuleRoot } from "../core/importer.ts";
import { CodecError } from "../core/codec.ts";
import {
  CANCEL,
  FILE_ACK,
  FILE_CHUNK,
  FIRST_REPLY_HANDLE,
  FORWARD_LOG,
  GET_MODULE,
  LOAD_MODULE,
  READY,
  SHUTDOWN,
} from "../core/handles.ts";
import { encodeStructured, frameValue, structuredFrame } from "../core/message.ts";
import { EMBEDDED } from "../bootstrap/_embedded.ts";
import type { ByteChannel, ExitStatus, SpawnInput } from "./stream.ts";
import { localMethod } from "./local.ts";
import { freeBuffer, releaseBig } from "./memory.ts";
import {
  awaitMarker,
  BootstrapError,
  bootstrapPayload,
  FIRST_STAGE,
  type FirstStage,
  firstStageCode,
} from "./_bootstrap.ts";

export { BootstrapError, ContextGoneError };
export type { CallOptions, CallSpec, FirstStage };

/** What to connect to. Methods read their own extra fields (host, user, password, …). */
export interface ConnectSpec {
  method: string;
  /** Start the new context from this one (a hop) instead of from the controller. */
  via?: Context;
  /** Interpreter string on the target: a path, `/usr/bin/env python3`, `source x && python3`. */
  python?: string;
  /** Do not name the process `mito:user@controller:pid`. */
  maskName?: boolean;
  /** Ansible's remote_tmp / system_tmpdirs for the private temp dir. */
  remoteTmp?: string;
  systemTmpdirs?: string[];
  /** Milliseconds until the new context must have said READY (default 60 s). */
  timeout?: number;
  /**
   * How errors name this context (e.g. its inventory host). Not part of the stack: two names for the
   * same stack share one context, which keeps the first name.
   */
  label?: string;
  /**
   * Top-level modules of the target's own Python the new context imports right after READY, while the
   * first call is on its way (the runner's standard library). Not part of the stack either: it only
   * matters to a context being started.
   */
  warm?: string[];
  [option: string]: unknown;
}

export interface ConnectMethod {
  /** Started by the controller itself: a ByteChannel to a process running the first stage. */
  spawn?(spec: ConnectSpec, stage: FirstStage, input?: SpawnInput): Promise<ByteChannel>;
  /** Started by a parent context: the Python spawn method and its JSON options. */
  remote?(spec: ConnectSpec, stage: FirstStage): { method: string; options: Record<string, unknown> };
}

export interface ReadyInfo {
  id: number;
  pid: number;
  python: number[];
  executable: string;
  user: string;
  uid: number;
  hostname: string;
  cwd: string | null;
  /** Started from its parent's compiled core (same Python) instead of compiling the source. */
  bytecode: boolean;
  /**
   * Importable top-level packages the context has of its own (e.g. `ansible` where ansible-core is
   * installed on the target): its own copy wins on import, so none of their modules is pushed to it.
   */
  local?: string[];
}

export interface LogRecord {
  context: number;
  name: string;
  level: number;
  message: string;
}

export interface BrokerOptions {
  /** Interpreters per parent (the controller or a context); default 20 or $MITO_MAX_INTERPRETERS. */
  maxInterpreters?: number;
  /**
   * Whether the cap also holds for the controller's own children. A playbook run keeps one direct
   * connection per target for the whole run, so it turns this off: the cap is per target (become
   * accounts and containers under one host), as in Mitogen.
   */
  capControllerChildren?: boolean;
  /** Extra module roots served to targets (e.g. an installed ansible-core's module_utils). */
  roots?: ModuleRoot[];
  /** Log records and stray output of targets; default: warnings and worse to stderr. */
  onLog?: (rec: LogRecord) => void;
  maxMessageSize?: number;
  /** Log level of the remote `logging` root (default 30, WARNING). */
  logLevel?: number;
  /** Observes every module request answered by the controller (diagnostics, tests). */
  onModuleRequest?: (context: number, fullname: string) => void;
  /**
   * The connection methods this Broker can open, by name: transports/methods.ts defaultMethods() has them
   * all. Default: only `local`, so a Broker never loads ssh2 or container code nobody asked for.
   */
  methods?: Record<string, ConnectMethod>;
}

export class ConnectError extends Error {
  constructor(
    message: string,
    cause?: unknown,
    /** How the interpreter's process ended before its first stage ran, and what it wrote to stderr:
     * status 127 is a shell's "not found", which Ansible reports as a module failure, not a lost host. */
    readonly exited?: { status: ExitStatus; stderr: string },
  ) {
    super(message, { cause });
    this.name = "ConnectError";
  }
}

export class TooManyInterpretersError extends Error {
  constructor(readonly parent: string, readonly limit: number) {
    super(`${parent} already has ${limit} interpreters and none of them is idle`);
    this.name = "TooManyInterpretersError";
  }
}

/**
 * A directory root serving `prefixes` from the controller's disk (e.g. ansible-core's parent dir). Each
 * directory is listed once and files are looked up in the listing: a closure of imports asks for many
 * names that are no file (`from pkg.mod import name` names `pkg/mod/name.py` and `pkg/mod/name/`), and a
 * failed read or stat per name cost more than the reads themselves.
 */
export function directoryRoot(dir: string, prefixes: string[]): ModuleRoot {
  const listings = new Map<string, Map<string, "file" | "dir"> | null>();
  const listing = (relDir: string) => {
    let l = listings.get(relDir);
    if (l !== undefined) return l;
    l = null;
    // Only a directory its parent's listing shows is read: no failed read per name that is none.
    if (relDir && kindOf(relDir) !== "dir") {
      listings.set(relDir, null);
      return null;
    }
    try {
      l = new Map();
      for (const e of readdirSync(join(dir, relDir), { withFileTypes: true })) {
        let kind: "file" | "dir" | undefined = e.isFile() ? "file" : e.isDirectory() ? "dir" : undefined;
        if (kind === undefined && e.isSymbolicLink()) {
          try {
            const st = statSync(join(dir, relDir, e.name));
            kind = st.isFile() ? "file" : st.isDirectory() ? "dir" : undefined;
          } catch {
            // a dangling link is no module
          }
        }
        if (kind) l.set(e.name, kind);
      }
    } catch {
      l = null; // no such directory (or not one)
    }
    listings.set(relDir, l);
    return l;
  };
  const kindOf = (rel: string): "file" | "dir" | undefined => {
    const slash = rel.lastIndexOf("/");
    return listing(slash < 0 ? "" : rel.slice(0, slash))?.get(rel.slice(slash + 1));
  };
  return {
    prefixes,
    read(rel) {
      if (kindOf(rel) !== "file") return null;
      try {
        return new Uint8Array(readFileSync(join(dir, rel)));
      } catch {
        return null;
      }
    },
    filename: (rel) => join(dir, rel),
    isDir: (rel) => kindOf(rel) === "dir",
  };
}

interface StreamState {
  id: number;
  channel: ByteChannel;
  context: number;
  stderrTail: string;
  /** Frames waiting while a write is in progress. */
  queued?: Uint8Array[];
  /** Called once every frame written so far has been handed to the channel. */
  drained?: (() => void)[];
}

/** Milliseconds a new context has to say READY unless its spec says otherwise. */
const DEFAULT_START_TIMEOUT = 60_000;

let chainSeq = 1;
let transferSeq = 1;

// The target's modules loaded on demand (docs/protocol.md "Core and modules loaded on demand"): a context
// imports them only once a call needs them, so the controller pushes them ahead of those calls.
const PARENT_MODULE = "mito.parent";
const TRANSFER_MODULE = "mito.transfer";

/** Files up to this size travel inside the call itself (zero extra round trips). */
export const INLINE_FILE_LIMIT = 124 * 1024;
const TRANSFER_CHUNK = 128 * 1024;
// Unacknowledged bytes in flight: 8 MiB keeps a 26 ms link busy at ~300 MiB/s (2 MiB capped it near 80).
const TRANSFER_WINDOW = 8 * 1024 * 1024;

/** Bytes of a streamed transfer done so far, and its size when known (for a progress display). */
export type TransferProgress = (done: number, total: number | undefined) => void;

export interface PutFileOptions extends CallOptions {
  /** Permission bits for the new file (e.g. 0o644); default: the target's umask. */
  mode?: number;
  /** Called as the target acknowledges streamed bytes (not for files sent inline in one call). */
  onProgress?: TransferProgress;
  /** Size of an iterable source, for onProgress's total. */
  size?: number;
  /** Also hash the bytes with md5 on the target as they arrive (PutFileResult.md5). */
  md5?: boolean;
  /**
   * A streamed upload that a later call moves into place; its name must contain ".mito-upload-". Until
   * then it is removed like a partial file if the target's interpreter ends or is killed.
   */
  scratch?: boolean;
}

export interface FetchFileOptions extends CallOptions {
  /** Called as the stream's bytes are consumed. */
  onProgress?: TransferProgress;
  /** The file's size when the caller knows it (from a stat), for onProgress's total. */
  size?: number;
}

export interface PutFileResult {
  size: number;
  /** Of the bytes the target wrote. */
  sha1: string;
  /** With the md5 option: null where the target refuses md5 (FIPS). */
  md5?: string | null;
}

export interface FetchedFile {
  /** The file's bytes as the target reads them (flow-controlled by how fast this is consumed). */
  readonly stream: ReadableStream<Uint8Array>;
  /** Resolves when the target finished sending. */
  readonly done: Promise<{ size: number; mode: number; mtime: number }>;
}

interface OutTransfer {
  /** The context the data goes to: the only one whose acknowledgements count. */
  context: number;
  acked: number;
  wake?: () => void;
  onAck?: (acked: number) => void;
}

interface InTransfer {
  context: number;
  push(chunk: Uint8Array): void;
}

export class Context {
  readonly #broker: Broker;
  #refs = 1;
  #lastUsed = 0;
  #gone: string | undefined;
  #goneWaiters: ((reason: string) => void)[] = [];
  info: ReadyInfo | undefined;
  /** The command its parent ran to start it, as -vvv shows it (a become hop's sudo line), if it said. */
  exec: string | undefined;
  constructor(
    broker: Broker,
    readonly id: number,
    readonly key: string,
    readonly parent: Context | undefined,
    readonly spec: ConnectSpec,
  ) {
    this.#broker = broker;
  }

  /** Ancestors' ids, the controller (0) first. */
  get parentIds(): number[] {
    return this.parent ? [...this.parent.parentIds, this.parent.id] : [0];
  }

  get alive(): boolean {
    return this.#gone === undefined;
  }

  get refs(): number {
    return this.#refs;
  }

  get lastUsed(): number {
    return this.#lastUsed;
  }

  /** Resolves with the reason once the context is gone. */
  closed(): Promise<string> {
    if (this.#gone !== undefined) return Promise.resolve(this.#gone);
    return new Promise((r) => this.#goneWaiters.push(r));
  }

  /** Calls module.fn(*args, **kwargs) in the context; rejects with RemoteError, ContextGoneError, … */
  call<T = unknown>(
    module: string,
    fn: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
    opts: CallOptions = {},
  ): Promise<T> {
    return this.#broker._call<T>(this, null, { module, fn, args, kwargs }, opts);
  }

  /**
   * Sends `modules` (and what they import) ahead of a call that will import them, in the same stream
   * order, so the call does not wait for an import round trip. Modules the context already has are not
   * sent again; the pull path still answers anything missed.
   */
  preload(modules: string[]): void {
    this.#broker._preload(this, modules);
  }

  /**
   * Fire and forget: no reply is sent (clean-ups whose outcome nobody waits for). A failure on the target
   * shows up as a warning log record; a context already gone drops it silently.
   */
  callNoReply(module: string, fn: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): void {
    this.#broker._callNoReply(this, { module, fn, args, kwargs });
  }

  /**
   * Sends the calls in one write; only the last one is answered. Resolves with its result, or rejects with
   * the first error of the chain (later calls are skipped on the target).
   */
  pipeline<T = unknown>(calls: CallSpec[], opts: CallOptions = {}): Promise<T> {
    if (!calls.length) return Promise.reject(new Error("pipeline of no calls"));
    return this.#broker._pipeline<T>(this, calls, opts);
  }

  /** Takes one more reference (a task using a cached context): a referenced context is never evicted. */
  retain(): void {
    this._retain();
  }

  /** Drops one reference; an unreferenced context stays cached until evicted or the broker shuts down. */
  release(): void {
    if (this.#refs > 0) this.#refs--;
  }

  shutdown(): Promise<void> {
    return this.#broker._shutdownContext(this);
  }

  /**
   * Writes `data` to `path` on the target atomically (hidden temp file beside it, fsync, rename): inline in
   * one call up to INLINE_FILE_LIMIT, else streamed in chunks with a flow-control window, through any hops.
   * An iterable's pieces are copied into frames before the next is asked for, so a source may reuse its
   * buffer.
   */
  putFile(
    path: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    opts: PutFileOptions = {},
  ): Promise<PutFileResult> {
    return this.#broker._putFile(this, path, data, opts);
  }

  /** Streams a file from the target to the controller. */
  fetchFile(path: string, opts: FetchFileOptions = {}): FetchedFile {
    return this.#broker._fetchFile(this, path, opts);
  }

  _retain(): void {
    this.#refs++;
    this._touch();
  }

  _touch(): void {
    this.#lastUsed = this.#broker._tick();
  }

  _markGone(reason: string): void {
    if (this.#gone !== undefined) return;
    this.#gone = reason;
    for (const w of this.#goneWaiters.splice(0)) w(reason);
  }
}

export class Broker {
  #router: Router;
  #calls: CallTable;
  #importer: ImporterResponder;
  #streams = new Map<number, StreamState>();
  #contexts = new Map<number, Context>();
  #byKey = new Map<string, Promise<Context>>();
  #ready = new Map<number, { resolve(i: ReadyInfo): void; reject(e: Error): void }>();
  #out = new Map<number, OutTransfer>();
  #in = new Map<number, InTransfer>();
  /**
   * The core as compiled by the controller machine's own Python (a direct `local` context, asked once
   * with a call only that context can answer; never a target, whose bytecode no other host may run), by
   * interpreter string: its bytecode magic, then
   * zlib(marshal). The next contexts started with that interpreter string get it beside the source; one
   * whose Python has that magic skips compiling the core (15-20 ms of its CPU), any other compiles the
   * source as before. null: being asked for.
   */
  #compiledCore = new Map<string, Uint8Array | null>();
  #toPrepare = new Set<string>();
  #nextContext = 1;
  #nextStream = 1;
  #tick = 0;
  #closing = false;
  readonly maxInterpreters: number;
  readonly maxMessageSize: number;
  readonly #opts: BrokerOptions;
  readonly #methods: Record<string, ConnectMethod>;

  constructor(opts: BrokerOptions = {}) {
    this.#opts = opts;
    this.#methods = opts.methods ?? { local: localMethod };
    this.maxInterpreters = opts.maxInterpreters ?? (Number(process.env.MITO_MAX_INTERPRETERS) || 20);
    this.maxMessageSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#importer = new ImporterResponder({ embedded: EMBEDDED, roots: opts.roots });
    this.#calls = new CallTable({
      onAbandon: (ctx, handle) => {
        this.#router.send(structuredFrame({ dst: ctx, src: 0, handle: CANCEL }, handle));
      },
      relays: (src, ctx) => this.#router.within(ctx, src),
      name: (id) => this.#name(id),
    });
    this.#router = new Router({
      write: (sid, bytes) => this.#write(sid, bytes),
      deliver: (f, sid) => this.#deliver(f, sid),
      gone: (ids, reason) => this.#gone(ids, reason),
      drop: (sid) => this.#streams.get(sid)?.channel.kill(),
      name: (id) => this.#name(id),
      warn: (m) => this.#log({ context: 0, name: "mito", level: 30, message: m }),
    });
  }

  /** Live contexts, in creation order. */
  contexts(): Context[] {
    return [...this.#contexts.values()].filter((c) => c.alive);
  }

  /** Connects (or reuses the context for the same stack, raising its reference count). */
  connect(spec: ConnectSpec): Promise<Context> {
    if (this.#closing) return Promise.reject(new ConnectError("the broker is shutting down"));
    const key = stackKey(spec);
    const existing = this.#byKey.get(key);
    if (existing) {
      return existing.then((ctx) => {
        if (ctx.alive) {
          ctx._retain();
          return ctx;
        }
        if (this.#byKey.get(key) === existing) this.#byKey.delete(key);
        return this.connect(spec);
      });
    }
    const p = this.#connectNew(spec, key);
    this.#byKey.set(key, p);
    p.catch(() => {
      if (this.#byKey.get(key) === p) this.#byKey.delete(key);
    });
    return p;
  }

  async #connectNew(spec: ConnectSpec, key: string): Promise<Context> {
    const method = Object.hasOwn(this.#methods, spec.method) ? this.#methods[spec.method] : undefined;
    if (!method) throw new ConnectError(`unknown connection method ${JSON.stringify(spec.method)}`);
    const parent = spec.via;
    if (parent && !parent.alive) {
      throw new ConnectError(`cannot connect via context ${parent.id}: it is gone`);
    }
    // No await unless a sibling must go: a yield here lets whatever the caller queued meanwhile (the
    // executor preparing the tasks it sends ahead) run first, and the login would start only after it.
    const evict = this.#evictionFor(parent);
    if (evict) await evict.shutdown();
    const id = this.#nextContext++;
    const ctx = new Context(this, id, key, parent, spec);
    ctx._touch();
    const timeout = spec.timeout ?? DEFAULT_START_TIMEOUT;
    const what = `context ${id} (${describe(spec)})`;
    const ready = new Promise<ReadyInfo>((resolve, reject) => this.#ready.set(id, { resolve, reject }));
    ready.catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ConnectError(`${what} did not start within ${timeout} ms`)),
        timeout,
      );
    });
    this.#contexts.set(id, ctx);
    let spawning: Promise<ByteChannel> | undefined;
    const python = spec.python ?? "python3";
    try {
      const config = this.#config(id, ctx.parentIds, spec);
      if (parent) {
        if (!method.remote) {
          throw new ConnectError(`method ${spec.method} cannot be started via another context`);
        }
        const { method: pyMethod, options } = method.remote(spec, FIRST_STAGE);
        if (!this.#router.addRoute(id, parent.id)) throw new ConnectError(`no route to context ${parent.id}`);
        // Spawning is not in the core: the module travels ahead of the call (nothing is sent twice).
        this._preload(parent, [PARENT_MODULE]);
        const started = parent.call<{ exec?: unknown }>(PARENT_MODULE, "connect_child", [
          id,
          pyMethod,
          options,
          config,
        ]);
        const r = await Promise.race([started, limit]);
        if (typeof r?.exec === "string") ctx.exec = r.exec;
      } else {
        if (!method.spawn) throw new ConnectError(`method ${spec.method} needs a via context`);
        // Made once the spawn runs, while it logs in: milliseconds the new interpreter would otherwise
        // wait for. A method that can (ssh) writes it at once, so the first stage finds it waiting.
        const compiled = this.#compiledCore.get(python) ?? undefined;
        let payload: Uint8Array | undefined;
        spawning = method.spawn(spec, FIRST_STAGE, () => (payload ??= bootstrapPayload(config, compiled)));
        payload ??= bootstrapPayload(config, compiled);
        for (const name of this.#toPrepare) this.#importer.prepare(name);
        this.#toPrepare.clear();
        const channel = await Promise.race([spawning, limit]);
        const learned = this.#compiledCore.get(python) ?? undefined; // a local context may have said it meanwhile
        if (!channel.inputSent && learned !== compiled) payload = bootstrapPayload(config, learned);
        await Promise.race([this.#attach(id, channel, channel.inputSent ? undefined : payload, what), limit]);
      }
      ctx.info = await Promise.race([ready, limit]);
      if (!parent && spec.method === "local" && !ctx.info.bytecode && !this.#compiledCore.has(python)) {
        this.#learnCompiledCore(ctx, python);
      }
      return ctx;
    } catch (e) {
      this.#ready.delete(id);
      ctx._markGone(String((e as Error).message ?? e));
      this.#contexts.delete(id);
      // A half-started context must not linger: kill its process (direct) or ask its parent to stop it.
      spawning?.then((ch) => ch.kill(), () => {}); // also when it finishes starting only after the timeout
      if (parent) this.#router.send(structuredFrame({ dst: id, src: 0, handle: SHUTDOWN }, null));
      if (e instanceof ConnectError || e instanceof BootstrapError) throw e;
      throw new ConnectError(`${what}: ${(e as Error).message ?? e}`, e);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Per-parent cap: the least recently used idle sibling to shut down first, if any must go; else refused. */
  #evictionFor(parent: Context | undefined): Context | undefined {
    if (!parent && this.#opts.capControllerChildren === false) return undefined;
    const siblings = this.contexts().filter((c) => c.parent === parent);
    if (siblings.length < this.maxInterpreters) return undefined;
    const idle = siblings
      .filter((c) =>
        c.refs === 0 && this.#calls.pendingFor(c.id) === 0 && !this.contexts().some((d) => d.parent === c)
      )
      .sort((a, b) => a.lastUsed - b.lastUsed);
    if (!idle.length) {
      throw new TooManyInterpretersError(
        parent ? `context ${parent.id}` : "the controller",
        this.maxInterpreters,
      );
    }
    return idle[0];
  }

  #config(id: number, parentIds: number[], spec: ConnectSpec): Record<string, unknown> {
    const user = safeUser();
    return {
      id,
      parent_ids: parentIds,
      name: spec.maskName ? null : `mito:${user}@${os.hostname()}:${process.pid}`,
      max_message_size: this.maxMessageSize,
      importable: this.#importer.importable(),
      releases: this.#importer.releases(),
      log_level: this.#opts.logLevel ?? 30,
      // An answer to an import is bounded like the connection's start: nothing on a target waits longer.
      import_timeout: Math.ceil((spec.timeout ?? DEFAULT_START_TIMEOUT) / 1000),
      remote_tmp: spec.remoteTmp ?? null,
      system_tmpdirs: spec.systemTmpdirs ?? [],
      warm: spec.warm ?? [],
      stage: firstStageCode(),
    };
  }

  #learnCompiledCore(ctx: Context, python: string): void {
    this.#compiledCore.set(python, null);
    ctx.call<Uint8Array>("mito.core", "compiled_core").then(
      (blob) =>
        blob instanceof Uint8Array && blob.length
          ? this.#compiledCore.set(python, blob)
          : this.#compiledCore.delete(python),
      () => this.#compiledCore.delete(python),
    );
  }

  /** Reads up to the first stage's marker and routes the channel; `payload` is written first unless sent. */
  async #attach(
    id: number,
    channel: ByteChannel,
    payload: Uint8Array | undefined,
    what: string,
  ): Promise<void> {
    const sid = this.#nextStream++;
    const st: StreamState = { id: sid, channel, context: id, stderrTail: "" };
    if (channel.stderr) void this.#drainStderr(st, channel.stderr);
    const reader = channel.readable.getReader();
    // The payload goes out with the spawn, not after the marker: the first stage reads exactly what it
    // needs once it runs, and nothing on a controller-side channel types a password into this pipe, so
    // waiting would only cost a round trip. A write the dead interpreter refused is the marker's error.
    const sent = payload
      ? channel.write(payload).then(() => undefined, (e: Error) => e)
      : Promise.resolve(undefined);
    let rest: Uint8Array;
    try {
      rest = await awaitMarker(reader, what);
    } catch (e) {
      // Let an interpreter that is exiting report its own status (and flush stderr) before killing it.
      const status = await within(channel.exited, 1000, undefined);
      if (!status) channel.kill();
      const startError = (channel as { startError?: Error }).startError;
      const exited = status && { status, stderr: startError ? startError.message : st.stderrTail };
      if (startError) throw new ConnectError(`${what}: ${startError.message}`, startError, exited);
      const tail = st.stderrTail.trim();
      throw new ConnectError(
        `${(e as Error).message}${tail ? `; stderr: ${tail.slice(-500)}` : ""}${
          status ? ` (exit ${JSON.stringify(status)})` : ""
        }`,
        e,
        exited,
      );
    }
    const writeError = await sent;
    if (writeError) throw new ConnectError(`${what}: sending the bootstrap failed: ${writeError.message}`);
    this.#streams.set(sid, st);
    this.#router.addStream(sid, id);
    void this.#pump(st, reader, rest);
  }

  async #drainStderr(st: StreamState, stderr: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stderr) {
        st.stderrTail = (st.stderrTail + dec.decode(chunk, { stream: true })).slice(-4096);
      }
    } catch {
      // the channel died; the stdout side reports it
    }
  }

  async #pump(
    st: StreamState,
    reader: ReadableStreamDefaultReader<Uint8Array>,
    first: Uint8Array,
  ): Promise<void> {
    const decoder = new FrameDecoder(this.maxMessageSize, this.#name(st.context));
    let collectedAt = 0; // decoder.buffered at the last collection while a big frame arrived
    let reason = "its stream closed";
    try {
      let chunk: Uint8Array | undefined = first;
      for (;;) {
        if (chunk && chunk.length) {
          // Decoded and delivered, a big frame's bytes and the text they were parsed from are garbage: they
          // are returned before the value's consumers (the next microtasks) allocate on top of them.
          releaseBig(this.#receive(st, decoder, chunk));
          if (decoder.lastChunkCopied && st.channel.ownedChunks) freeBuffer(chunk);
          // While a big frame arrives, its chunks are garbage once copied into its buffer.
          if (decoder.buffered < collectedAt) collectedAt = 0;
          if (releaseBig(decoder.buffered - collectedAt)) collectedAt = decoder.buffered;
        }
        const r = await reader.read();
        if (r.done) break;
        chunk = r.value;
      }
      const status = await within(st.channel.exited, 200, undefined);
      if (status && typeof status === "object") {
        const s = status as { code: number | null; signal: string | null };
        reason = s.signal
          ? `its process was killed by ${s.signal}`
          : `its process exited with status ${s.code}`;
      }
    } catch (e) {
      reason = (e as Error).message;
      st.channel.kill();
    }
    const tail = st.stderrTail.trim();
    if (tail && !this.#closing) reason += ` (stderr: ${tail.slice(-300)})`;
    this.#streams.delete(st.id);
    this.#router.removeStream(st.id, reason);
    this.#importer.forget(st.context);
  }

  /**
   * Routes the frames `chunk` completes; returns the largest body among them. A method of its own: the
   * frames are out of reach once it returns, so a collection right after can free their bytes.
   */
  #receive(st: StreamState, decoder: FrameDecoder, chunk: Uint8Array): number {
    let largest = 0;
    for (const f of decoder.push(chunk)) {
      this.#router.receive(st.id, f);
      largest = Math.max(largest, f.body.length);
    }
    return largest;
  }

  /**
   * Writes in order; while the channel pushes back, later frames queue, and go out with runs of small ones
   * joined into one write (one system call instead of many) and big ones as they are (joining a transfer's
   * chunks copied each byte once more, and was half the garbage the collector chased during one).
   */
  #write(sid: number, bytes: Uint8Array): void {
    const st = this.#streams.get(sid);
    if (!st) return;
    if (st.queued) {
      st.queued.push(bytes);
      return;
    }
    st.queued = [];
    void this.#flush(st, [bytes]);
  }

  async #flush(st: StreamState, chunks: Uint8Array[]): Promise<void> {
    try {
      while (chunks.length) {
        for (const chunk of chunks) await st.channel.write(chunk);
        chunks = joinSmall(st.queued!);
        st.queued = [];
      }
    } catch {
      // the channel died: the reader side reports it
    }
    st.queued = undefined;
    for (const done of st.drained?.splice(0) ?? []) done();
  }

  /** Resolves once every frame written to `st` so far has been handed to its channel. */
  #drained(st: StreamState): Promise<void> {
    if (!st.queued) return Promise.resolve();
    return new Promise((resolve) => (st.drained ??= []).push(resolve));
  }

  /** A frame for the controller; the router already checked who may send it from where. */
  #deliver(f: Frame, sid: number | undefined): void {
    if (f.handle >= FIRST_REPLY_HANDLE) {
      if (this.#calls.settle(f) === "foreign") {
        this.#violation(f, sid, "it answered a call that was not sent to it");
      }
      return;
    }
    switch (f.handle) {
      case READY: {
        const w = this.#ready.get(f.src);
        if (!w) return;
        this.#ready.delete(f.src);
        try {
          w.resolve(frameValue(f) as ReadyInfo);
        } catch (e) {
          w.reject(e as Error);
        }
        return;
      }
      case GET_MODULE: {
        if (sid === undefined) return;
        let name: unknown;
        try {
          name = frameValue(f);
        } catch {
          return;
        }
        if (typeof name !== "string") return;
        this.#opts.onModuleRequest?.(f.src, name);
        const parts = this.#importer.answer(f.src, name).map((body) =>
          encodeStructured({ dst: f.src, src: 0, handle: LOAD_MODULE }, body)
        );
        this.#write(sid, concat(parts));
        return;
      }
      case FILE_ACK: {
        try {
          const [tid, consumed] = frameValue(f) as [number, number];
          const t = this.#out.get(tid);
          if (t && t.context !== f.src) {
            return this.#violation(f, sid, `it acknowledged a transfer to context ${t.context}`);
          }
          if (t && consumed > t.acked) {
            t.acked = consumed;
            t.wake?.();
            t.onAck?.(consumed);
          }
        } catch {
          // ignore a malformed acknowledgement
        }
        return;
      }
      case FILE_CHUNK: {
        if (f.body.length < 4) return;
        const tid = new DataView(f.body.buffer, f.body.byteOffset, 4).getUint32(0);
        const t = this.#in.get(tid);
        if (t && t.context !== f.src) {
          return this.#violation(f, sid, `it sent data of a transfer from context ${t.context}`);
        }
        t?.push(f.body.subarray(4));
        return;
      }
      case FORWARD_LOG: {
        try {
          const [name, level, message] = frameValue(f) as [string, number, string];
          this.#log({ context: f.src, name, level, message });
        } catch {
          // a malformed record is not worth a crash
        }
        return;
      }
      default:
        this.#violation(
          f,
          sid,
          `it sent a message with handle ${f.handle}, which the controller does not take`,
        );
    }
  }

  /** The sender of `f` broke the protocol (a local dead letter, sid undefined, never does). */
  #violation(f: Frame, sid: number | undefined, detail: string): void {
    if (sid !== undefined) this.#router.violation(sid, f.src, detail);
  }

  /** A context as errors name it: its label (inventory host) where the caller gave one. */
  #name(id: number): string {
    const ctx = this.#contexts.get(id);
    return ctx?.spec.label ?? `context ${id}${ctx ? ` (${describe(ctx.spec)})` : ""}`;
  }

  #log(rec: LogRecord): void {
    if (this.#opts.onLog) return this.#opts.onLog(rec);
    if (rec.level >= 30) process.stderr.write(`mito: [context ${rec.context}] ${rec.name}: ${rec.message}\n`);
  }

  #gone(ids: number[], reason: string): void {
    this.#calls.failContexts(ids, reason);
    for (const id of ids) {
      const w = this.#ready.get(id);
      if (w) {
        this.#ready.delete(id);
        w.reject(new ConnectError(`context ${id} died while starting: ${reason}`));
      }
      const ctx = this.#contexts.get(id);
      if (ctx) {
        ctx._markGone(reason);
        this.#contexts.delete(id);
        if (this.#byKey.has(ctx.key)) this.#byKey.delete(ctx.key);
      }
    }
  }

  _tick(): number {
    return ++this.#tick;
  }

  /** Whether targets may import `fullname` from the controller (the embedded package or a root). */
  serves(fullname: string): boolean {
    return this.#importer.lookup(fullname) !== null;
  }

  /**
   * Modules that will be pushed to the next contexts: what pushing them takes (ImporterResponder.prepare)
   * is computed while the next connection logs in, instead of between its READY and its first call.
   */
  prepareImports(modules: string[]): void {
    for (const name of modules) this.#toPrepare.add(name);
  }

  _preload(ctx: Context, modules: string[]): void {
    if (!ctx.alive) return;
    for (const name of modules) {
      for (const body of this.#importer.push(ctx.id, name, ctx.info?.local)) {
        this.#router.send(structuredFrame({ dst: ctx.id, src: 0, handle: LOAD_MODULE }, body));
      }
    }
  }

  _call<T>(ctx: Context, chain: number | null, spec: CallSpec, opts: CallOptions): Promise<T> {
    if (!ctx.alive) return Promise.reject(new ContextGoneError(ctx.id, "it was shut down"));
    ctx._touch();
    let frame: Frame;
    try {
      frame = callFrame(ctx.id, 0, chain, spec);
    } catch (e) {
      return Promise.reject(e); // a value the codec cannot carry
    }
    if (frame.body.length > this.maxMessageSize) {
      return Promise.reject(
        new CodecError(
          `call of ${frame.body.length} bytes exceeds the maximum message size ${this.maxMessageSize}`,
        ),
      );
    }
    const { handle, promise } = this.#calls.register<T>(
      ctx.id,
      `${spec.module}.${spec.fn} in context ${ctx.id}`,
      opts,
    );
    this.#router.send({ ...frame, replyTo: handle });
    return promise;
  }

  _callNoReply(ctx: Context, spec: CallSpec): void {
    if (!ctx.alive) return;
    ctx._touch();
    const frame = callFrame(ctx.id, 0, null, spec);
    if (frame.body.length > this.maxMessageSize) {
      throw new CodecError(
        `call of ${frame.body.length} bytes exceeds the maximum message size ${this.maxMessageSize}`,
      );
    }
    this.#router.send(frame);
  }

  _pipeline<T>(ctx: Context, calls: CallSpec[], opts: CallOptions): Promise<T> {
    if (!ctx.alive) return Promise.reject(new ContextGoneError(ctx.id, "it was shut down"));
    ctx._touch();
    const chain = chainSeq++;
    const last = calls[calls.length - 1];
    let built: Frame[];
    try {
      built = calls.map((c) => callFrame(ctx.id, 0, chain, c));
    } catch (e) {
      return Promise.reject(e);
    }
    const big = built.find((f) => f.body.length > this.maxMessageSize);
    if (big) {
      return Promise.reject(
        new CodecError(
          `call of ${big.body.length} bytes exceeds the maximum message size ${this.maxMessageSize}`,
        ),
      );
    }
    const { handle, promise } = this.#calls.register<T>(
      ctx.id,
      `pipeline of ${calls.length} calls ending in ${last.module}.${last.fn} in context ${ctx.id}`,
      opts,
    );
    built[built.length - 1] = { ...built[built.length - 1], replyTo: handle };
    const frames = built.map(encodeFrame);
    if (!this.#router.sendBytes(ctx.id, concat(frames))) {
      this.#router.send(callFrame(ctx.id, handle, chain, last)); // no route: answered by a dead letter
    }
    return promise;
  }

  async _putFile(
    ctx: Context,
    path: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    opts: PutFileOptions,
  ): Promise<PutFileResult> {
    const mode = opts.mode ?? null;
    const digests = opts.md5 ? ["md5"] : null;
    this._preload(ctx, [TRANSFER_MODULE]);
    if (data instanceof Uint8Array && data.length <= INLINE_FILE_LIMIT) {
      return this._call(ctx, null, {
        module: TRANSFER_MODULE,
        fn: "write_file",
        args: digests ? [path, data, mode, digests] : [path, data, mode],
      }, opts);
    }
    const tid = transferSeq++;
    const progress = opts.onProgress;
    const total = data instanceof Uint8Array ? data.length : opts.size;
    const t: OutTransfer = {
      context: ctx.id,
      acked: 0,
      ...(progress ? { onAck: (n: number) => progress(n, total) } : {}),
    };
    this.#out.set(tid, t);
    let failed = false;
    // receive_file(transfer_id, path, mode, digests, scratch): trailing defaults left out.
    const args: unknown[] = [tid, path, mode];
    if (digests || opts.scratch) args.push(digests);
    if (opts.scratch) args.push(true);
    const result = this._call<PutFileResult>(
      ctx,
      null,
      { module: TRANSFER_MODULE, fn: "receive_file", args },
      opts,
    );
    const settled = result.then(() => {}, () => void (failed = true));
    const header = {
      flags: 0,
      encoding: ENC_RAW,
      dst: ctx.id,
      src: 0,
      auth: 0,
      handle: FILE_CHUNK,
      replyTo: 0,
    };
    // Each chunk becomes one frame built in one buffer (header, transfer id, data): one copy of the data.
    const send = (chunk: Uint8Array) => {
      const frame = new Uint8Array(HEADER_SIZE + 4 + chunk.length);
      writeHeader(frame, header, 4 + chunk.length);
      new DataView(frame.buffer, HEADER_SIZE, 4).setUint32(0, tid);
      frame.set(chunk, HEADER_SIZE + 4);
      if (!this.#router.sendBytes(ctx.id, frame)) failed = true;
    };
    try {
      let sent = 0;
      const it = data instanceof Uint8Array ? [data][Symbol.iterator]() : data[Symbol.asyncIterator]();
      // A stalled source must not outlive the call: stop reading when the call settles or the context dies.
      const stop = Promise.race([settled, ctx.closed()]).then(() => undefined);
      for (;;) {
        const next = await Promise.race([it.next(), stop]);
        if (!next || next.done) {
          if (!next) void it.return?.();
          break;
        }
        const piece = next.value;
        for (let off = 0; off < piece.length && !failed; off += TRANSFER_CHUNK) {
          while (sent - t.acked >= TRANSFER_WINDOW && !failed && ctx.alive) {
            await Promise.race([new Promise<void>((r) => (t.wake = r)), stop]);
          }
          if (failed || !ctx.alive) break;
          const chunk = piece.subarray(off, off + TRANSFER_CHUNK);
          send(chunk);
          sent += chunk.length;
        }
        if (failed || !ctx.alive) break;
      }
      if (!failed && ctx.alive) send(new Uint8Array(0));
      return await result;
    } finally {
      this.#out.delete(tid);
    }
  }

  _fetchFile(ctx: Context, path: string, opts: FetchFileOptions): FetchedFile {
    const tid = transferSeq++;
    const queue: Uint8Array[] = [];
    let wake: (() => void) | undefined;
    let consumed = 0;
    let acked = 0;
    let ended = false;
    let error: unknown;
    this.#in.set(tid, {
      context: ctx.id,
      push: (chunk) => {
        queue.push(chunk);
        wake?.();
      },
    });
    this._preload(ctx, [TRANSFER_MODULE]);
    const done = this._call<{ size: number; mode: number; mtime: number }>(ctx, null, {
      module: TRANSFER_MODULE,
      fn: "send_file",
      args: [tid, path],
    }, opts);
    done.then(() => {}, (e) => {
      error = e;
      ended = true;
      wake?.();
    }).finally(() => this.#in.delete(tid));
    const stream = new ReadableStream<Uint8Array>({
      pull: async (ctrl) => {
        while (!queue.length && !ended) await new Promise<void>((r) => (wake = r));
        const chunk = queue.shift();
        if (chunk === undefined) {
          if (error) ctrl.error(error);
          else ctrl.close();
          return;
        }
        if (!chunk.length) {
          ended = true;
          ctrl.close();
          return;
        }
        consumed += chunk.length;
        opts.onProgress?.(consumed, opts.size);
        if (consumed - acked >= TRANSFER_WINDOW / 4) {
          acked = consumed;
          this.#router.send(structuredFrame({ dst: ctx.id, src: 0, handle: FILE_ACK }, [tid, consumed]));
        }
        ctrl.enqueue(chunk);
      },
      cancel: () => {
        this.#in.delete(tid);
      },
    });
    return { stream, done };
  }

  async _shutdownContext(ctx: Context, detach = false): Promise<void> {
    // Siblings side by side: each waits a round trip for its own end, none depends on another's.
    await Promise.all([...this.#contexts.values()].filter((c) => c.parent === ctx).map((c) => c.shutdown()));
    if (!ctx.alive) return;
    const st = [...this.#streams.values()].find((s) => s.context === ctx.id);
    if (detach && st?.channel.detach) await this.#stopDetached(ctx, st);
    else await this.#stopQuietly(ctx);
  }

  /**
   * Tells a context at the end of its own channel to stop, then leaves it: the frame and the end of its
   * input are handed to the channel, which stops holding the controller. The context cleans up and exits
   * on SHUTDOWN (on the EOF behind it if the frame never arrives), and ssh ends once it has: waiting for
   * that would only cost the run a round trip at its very end.
   */
  async #stopDetached(ctx: Context, st: StreamState): Promise<void> {
    this.#router.send(structuredFrame({ dst: ctx.id, src: 0, handle: SHUTDOWN }, null));
    // Bounded: a target that stopped reading gets the EOF of the controller's exit instead.
    await within(this.#drained(st).then(() => st.channel.closeWrite()), 5000, undefined);
    st.channel.detach!();
  }

  async #stopQuietly(ctx: Context): Promise<void> {
    const closed = ctx.closed();
    this.#router.send(structuredFrame({ dst: ctx.id, src: 0, handle: SHUTDOWN }, null));
    const st = [...this.#streams.values()].find((s) => s.context === ctx.id);
    const bounded = await within(closed.then(() => true), 5000, false);
    if (st) {
      if (!bounded) st.channel.kill();
      await within(st.channel.exited, 2000, undefined);
    }
    if (!bounded) this.#gone([ctx.id], "it did not stop within 5 s and was abandoned");
  }

  /**
   * Shuts every context down (children before parents) and waits for the processes to end. With
   * `detach`, for the controller's own exit: a context on a channel that can be left (a process: ssh,
   * local python) is told to stop and not waited for (#stopDetached); its children are still stopped and
   * waited for first, as their parent's end would otherwise cut their cleanup short.
   */
  async shutdown(opts: { detach?: boolean } = {}): Promise<void> {
    this.#closing = true;
    // Connects still under way end first (each bounded by its own timeout), so none outlives the broker.
    await Promise.allSettled([...this.#byKey.values()]);
    const roots = [...this.#contexts.values()].filter((c) => !c.parent);
    await Promise.all(roots.map((c) => this._shutdownContext(c, opts.detach)));
    this.#calls.failAll("the broker shut down");
  }
}

/** The promise's value, or `fallback` after `ms`; the timer is cleared so it never keeps the process alive. */
async function within<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<F>((r) => timer = setTimeout(r, ms, fallback))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Frames this big are written as they are; smaller ones next to each other are joined into one write. */
const JOIN_BELOW = 16 * 1024;

function joinSmall(parts: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  for (const p of parts) {
    if (p.length < JOIN_BELOW) {
      run.push(p);
      continue;
    }
    if (run.length) out.push(concat(run));
    run = [];
    out.push(p);
  }
  if (run.length) out.push(concat(run));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function stable(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Context) return { $context: v.key };
  if (Array.isArray(v)) return v.map(stable);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as object).sort()) out[k] = stable((v as Record<string, unknown>)[k]);
  return out;
}

/** Same method, options and via chain → same key → same context (the label is only a name, warm only a start). */
export function stackKey(spec: ConnectSpec): string {
  const { label: _label, warm: _warm, ...stack } = spec;
  return JSON.stringify(stable(stack));
}

function describe(spec: ConnectSpec): string {
  const bits = [spec.method];
  for (const k of ["user", "host", "hostname", "python"]) {
    if (typeof spec[k] === "string") bits.push(`${k}=${spec[k]}`);
  }
  if (spec.via) bits.push(`via context ${spec.via.id}`);
  return bits.join(" ");
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "user");
  }
}
