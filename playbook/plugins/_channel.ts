// A local Python process spoken to synchronously: mito's framing and codec over two FIFOs whose fds are
// read and written with readSync/writeSync. Templating is synchronous (as Ansible's is), so a filter that
// crosses to Python blocks the event loop for the call's duration instead of making templating async.
//
// The child makes the FIFOs (in a private directory named in its argv; Node has no mkfifo, and running the
// mkfifo program costs more than the whole host start) and opens its ends so that no open blocks: the
// reply FIFO read-write, the request FIFO read-write until the controller's writer is there, then
// read-only. So each side's read gets EOF when the other side is gone, and a write to a dead child fails.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import {
  decodeBody,
  ENC_STRUCTURED,
  encodeBody,
  encodeFrame,
  type Frame,
  FrameDecoder,
  handles,
  RemoteError,
} from "../../core/mod.ts";

const { O_RDONLY, O_WRONLY } = fs.constants;
const { CALL } = handles;
/** How long a starting child may take to make its FIFOs. */
const START_TIMEOUT_MS = 30_000;

/** The host process ended or broke the protocol: no more calls can be made. */
export class ChannelClosedError extends Error {
  override name = "ChannelClosedError";
}

/** Answers the calls the child makes while the controller waits for a reply. */
export type CallHandler = (method: string, args: unknown[]) => unknown;

/** Answers the child's calls during an asynchronous call: they may wait for targets. */
export type AsyncCallHandler = (method: string, args: unknown[]) => Promise<unknown>;

const nap = new Int32Array(new SharedArrayBuffer(4));

/** Whether process `pid` has ended (gone, or a zombie nobody has reaped yet). */
function ended(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

export interface ChannelOptions {
  argv: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
}

export class SyncChannel {
  readonly pid: number;
  #in: number;
  #out: number;
  #decoder = new FrameDecoder(undefined, "the plugin host");
  #pending: Frame[] = [];
  #buf = new Uint8Array(1 << 16);
  #nextId = handles.FIRST_REPLY_HANDLE;
  #closed = false;
  #exitHook = () => this.close();

  /**
   * Starts the process with the FIFO directory as its last argument and waits until it has made its
   * FIFOs (its stdin is /dev/null, its stdout and stderr are the controller's stderr).
   */
  constructor(opts: ChannelOptions) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-plugins-"));
    try {
      const child = spawn(opts.argv[0], [...opts.argv.slice(1), dir], {
        stdio: ["ignore", 2, "inherit"],
        cwd: opts.cwd,
        env: opts.env as Record<string, string> | undefined,
      });
      child.on("error", () => {}); // a failed exec is seen as a child that never made its FIFOs
      this.pid = child.pid ?? -1;
      if (this.pid > 0) child.unref();
      const ready = path.join(dir, "ready");
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!fs.existsSync(ready)) {
        if (this.pid < 0 || ended(this.pid) || Date.now() > deadline) {
          if (this.pid > 0) process.kill(this.pid, "SIGKILL");
          throw new ChannelClosedError(`${opts.argv[0]} did not start`);
        }
        Atomics.wait(nap, 0, 0, 1);
      }
      this.#in = fs.openSync(path.join(dir, "resp"), O_RDONLY);
      this.#out = fs.openSync(path.join(dir, "req"), O_WRONLY);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    process.on("exit", this.#exitHook);
  }

  /** The next frame the child sends, blocking until it arrives. */
  next(): Frame {
    while (this.#pending.length === 0) {
      if (this.#closed) throw new ChannelClosedError("the plugin host has been stopped");
      let n: number;
      try {
        n = fs.readSync(this.#in, this.#buf, 0, this.#buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN" || (e as NodeJS.ErrnoException).code === "EINTR") {
          continue;
        }
        throw e;
      }
      if (n === 0) {
        this.close();
        throw new ChannelClosedError("the plugin host exited");
      }
      this.#pending.push(...this.#decoder.push(this.#buf.slice(0, n)));
    }
    return this.#pending.shift()!;
  }

  /**
   * The next frame, read without blocking the event loop (the read waits in libuv's thread pool). Only
   * for a channel nobody calls synchronously meanwhile: both would read the same FIFO.
   */
  async nextAsync(): Promise<Frame> {
    while (this.#pending.length === 0) {
      if (this.#closed) throw new ChannelClosedError("the plugin host has been stopped");
      const n = await new Promise<number>((resolve, reject) =>
        fs.read(this.#in, this.#buf, 0, this.#buf.length, null, (e, n) => e ? reject(e) : resolve(n))
      ).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "EAGAIN" || e.code === "EINTR") return -1;
        throw e;
      });
      if (n < 0) continue;
      if (n === 0) {
        this.close();
        throw new ChannelClosedError("the plugin host exited");
      }
      this.#pending.push(...this.#decoder.push(this.#buf.slice(0, n)));
    }
    return this.#pending.shift()!;
  }

  send(handle: number, replyTo: number, value: unknown): void {
    if (this.#closed) throw new ChannelClosedError("the plugin host has been stopped");
    const { body, flags } = encodeBody(value);
    const data = encodeFrame({
      flags,
      encoding: ENC_STRUCTURED,
      dst: 1,
      src: 0,
      auth: 0,
      handle,
      replyTo,
      body,
    });
    let off = 0;
    try {
      while (off < data.length) off += fs.writeSync(this.#out, data, off, data.length - off);
    } catch (e) {
      this.close();
      throw new ChannelClosedError(`the plugin host is gone (${(e as Error).message})`);
    }
  }

  /**
   * Calls `method` in the child and returns its answer (a RemoteError is thrown); the child's own calls
   * meanwhile are answered by `serve`.
   */
  call(method: string, marked: boolean, args: unknown[], serve?: CallHandler): unknown {
    const id = this.#nextId++;
    this.send(CALL, id, [method, marked, ...args]);
    for (;;) {
      const met = this.#meet(this.next(), id);
      if (met.kind === "reply") return met.value;
      let answer: unknown;
      try {
        if (!serve) throw new Error(`nothing answers '${met.method}' here`);
        answer = serve(met.method, met.args);
      } catch (e) {
        answer = asRemoteError(e);
      }
      this.send(met.replyTo, 0, answer);
    }
  }

  /**
   * `call` for a method whose calls back need the event loop (an action plugin's module calls reach
   * targets): the frames are read asynchronously and `serve` is awaited. One such call at a time.
   */
  async callAsync(
    method: string,
    marked: boolean,
    args: unknown[],
    serve: AsyncCallHandler,
  ): Promise<unknown> {
    const id = this.#nextId++;
    this.send(CALL, id, [method, marked, ...args]);
    for (;;) {
      const met = this.#meet(await this.nextAsync(), id);
      if (met.kind === "reply") return met.value;
      let answer: unknown;
      try {
        answer = await serve(met.method, met.args);
      } catch (e) {
        answer = asRemoteError(e);
      }
      this.send(met.replyTo, 0, answer);
    }
  }

  /**
   * A frame met while waiting for the reply to call `id`: that reply's value (a RemoteError is thrown), or
   * a call of the child's to answer first; anything else is a broken channel.
   */
  #meet(
    f: Frame,
    id: number,
  ): { kind: "reply"; value: unknown } | { kind: "call"; method: string; args: unknown[]; replyTo: number } {
    if (f.handle === id) {
      const value = decodeBody(f.body, f.flags);
      if (value instanceof RemoteError) throw value;
      return { kind: "reply", value };
    }
    if (f.handle !== CALL) throw new ChannelClosedError(`unexpected frame for handle ${f.handle}`);
    const [method, ...args] = decodeBody(f.body, f.flags) as [string, ...unknown[]];
    return { kind: "call", method, args, replyTo: f.replyTo };
  }

  /** Ends the child (by pid) and closes the FIFOs; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    process.off("exit", this.#exitHook);
    for (const fd of [this.#in, this.#out]) {
      try {
        fs.closeSync(fd);
      } catch { /* already closed */ }
    }
    if (this.pid > 0) {
      try {
        process.kill(this.pid, "SIGTERM");
      } catch { /* already gone */ }
    }
  }

  get closed(): boolean {
    return this.#closed;
  }
}

function asRemoteError(e: unknown): RemoteError {
  return new RemoteError({ type: (e as Error).name, message: (e as Error).message, data: errorData(e) });
}

/** What the child needs to know of a controller-side failure: whether it was an undefined variable. */
function errorData(e: unknown): Record<string, unknown> {
  return { kind: (e as Error).name === "UndefinedError" ? "undefined" : "other" };
}
