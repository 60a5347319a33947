// Call/reply bookkeeping: reply handles, settling replies and dead letters, contexts that die with calls
// in flight, timeouts and cancellation, and who may answer which call. Pure apart from timers and the
// random source of reply handles.
import { RemoteError } from "./codec.ts";
import { FLAG_DEAD, type Frame } from "./frame.ts";
import { CALL, FIRST_REPLY_HANDLE } from "./handles.ts";
import { frameValue, structuredFrame } from "./message.ts";

/** The context a call was sent to is gone (its stream ended, a hop died, or no route existed). */
export class ContextGoneError extends Error {
  constructor(readonly contextId: number, readonly reason: string) {
    super(`context ${contextId} is gone: ${reason}`);
    this.name = "ContextGoneError";
  }
}

export class CallTimeoutError extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = "CallTimeoutError";
  }
}

export class CallCancelledError extends Error {
  constructor(readonly what: string, reason?: unknown) {
    super(`${what} was cancelled${reason === undefined ? "" : `: ${String(reason)}`}`);
    this.name = "CallCancelledError";
  }
}

export interface CallOptions {
  /** Milliseconds until the promise rejects with CallTimeoutError (the remote call keeps running). */
  timeout?: number;
  signal?: AbortSignal;
}

export interface CallSpec {
  module: string;
  fn: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

interface Pending {
  context: number;
  what: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
  onAbort?: () => void;
  signal?: AbortSignal;
}

/**
 * The CALL frame for `spec` (docs/protocol.md "Calls and pipelines"): `["module:fn", args, kwargs, chain]`
 * with trailing empty parts left out, so a plain call carries no more than its name and arguments.
 */
export function callFrame(dst: number, replyTo: number, chain: number | null, spec: CallSpec): Frame {
  const body: unknown[] = [`${spec.module}:${spec.fn}`, spec.args ?? [], spec.kwargs ?? {}, chain];
  while (body.length > 1 && _isEmpty(body[body.length - 1])) body.pop();
  return structuredFrame({ dst, src: 0, handle: CALL, replyTo }, body);
}

function _isEmpty(v: unknown): boolean {
  if (v === null) return true;
  if (typeof v !== "object") return false; // a chain id, 0 included
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  return Object.keys(v).length === 0;
}

/** What settling a reply did: it answered its call, named no call, or named a call sent to another context. */
export type Settled = "settled" | "unknown" | "foreign";

export interface CallTableOptions {
  /** Called when a call is given up locally (timeout or abort) so the remote side can drop it. */
  onAbandon?: (context: number, handle: number) => void;
  /**
   * Whether `src` lies on the route to `context` (an intermediary, or the controller: 0), so that its dead
   * letter may answer a call to `context`. Default: only the controller.
   */
  relays?: (src: number, context: number) => boolean;
  /** How an error names a context (a reply the codec refuses): its host's inventory name where known. */
  name?: (id: number) => string;
}

// Remembered after a timeout or abort so the context's late reply is dropped quietly, and the handle is
// not given to another call whose context that late reply would then seem to forge.
const ABANDONED_KEPT = 4096;
const HANDLE_SPAN = 2 ** 31 - FIRST_REPLY_HANDLE;

/**
 * The calls waiting for replies. Reply handles are random (no context can predict another's) and each
 * belongs to the context its call went to: only that context's reply, or a dead letter from a context on
 * the route to it, settles it; anyone else naming it is reported as "foreign" (a protocol violation).
 */
export class CallTable {
  #pending = new Map<number, Pending>();
  #abandoned = new Map<number, number>(); // handle -> context
  #random = new Uint32Array(256);
  #randomAt = this.#random.length;
  readonly #onAbandon?: (context: number, handle: number) => void;
  readonly #relays: (src: number, context: number) => boolean;
  readonly #name: ((id: number) => string) | undefined;

  constructor(opts: CallTableOptions = {}) {
    this.#onAbandon = opts.onAbandon;
    this.#relays = opts.relays ?? ((src) => src === 0);
    this.#name = opts.name;
  }

  get size(): number {
    return this.#pending.size;
  }

  pendingFor(context: number): number {
    let n = 0;
    for (const p of this.#pending.values()) if (p.context === context) n++;
    return n;
  }

  /** Allocates a reply handle and the promise its answer settles. */
  register<T>(
    context: number,
    what: string,
    opts: CallOptions = {},
  ): { handle: number; promise: Promise<T> } {
    const handle = this.#newHandle();
    const promise = new Promise<T>((resolve, reject) => {
      const p: Pending = { context, what, resolve: resolve as (v: unknown) => void, reject };
      this.#pending.set(handle, p);
      if (opts.timeout !== undefined) {
        p.timer = setTimeout(
          () => this.#abandon(handle, new CallTimeoutError(what, opts.timeout!)),
          opts.timeout,
        );
      }
      if (opts.signal) {
        if (opts.signal.aborted) {
          queueMicrotask(() => this.#abandon(handle, new CallCancelledError(what, opts.signal!.reason)));
        } else {
          p.signal = opts.signal;
          p.onAbort = () => this.#abandon(handle, new CallCancelledError(what, opts.signal!.reason));
          opts.signal.addEventListener("abort", p.onAbort, { once: true });
        }
      }
    });
    return { handle, promise };
  }

  /** Settles the call waiting on `frame.handle` if `frame.src` may answer it. */
  settle(frame: Frame): Settled {
    const dead = (frame.flags & FLAG_DEAD) !== 0;
    const p = this.#pending.get(frame.handle);
    if (!p) {
      const late = this.#abandoned.get(frame.handle);
      if (late === undefined) return "unknown";
      if (!this.#answers(frame.src, late, dead)) return "foreign";
      this.#abandoned.delete(frame.handle);
      return "unknown";
    }
    if (!this.#answers(frame.src, p.context, dead)) return "foreign";
    this.#take(frame.handle);
    if (dead) {
      p.reject(new ContextGoneError(p.context, new TextDecoder().decode(frame.body)));
      return "settled";
    }
    let value: unknown;
    try {
      value = frameValue(frame, this.#name);
    } catch (e) {
      p.reject(e);
      return "settled";
    }
    if (value instanceof RemoteError) p.reject(value);
    else p.resolve(value);
    return "settled";
  }

  #answers(src: number, context: number, dead: boolean): boolean {
    return src === context || (dead && this.#relays(src, context));
  }

  #newHandle(): number {
    for (;;) {
      if (this.#randomAt === this.#random.length) {
        crypto.getRandomValues(this.#random);
        this.#randomAt = 0;
      }
      const h = FIRST_REPLY_HANDLE + this.#random[this.#randomAt++] % HANDLE_SPAN;
      if (!this.#pending.has(h) && !this.#abandoned.has(h)) return h;
    }
  }

  /** Every call waiting on one of these contexts fails with ContextGoneError. */
  failContexts(ids: number[], reason: string): void {
    const set = new Set(ids);
    for (const [h, p] of this.#pending) {
      if (set.has(p.context)) {
        this.#take(h);
        p.reject(new ContextGoneError(p.context, reason));
      }
    }
  }

  failAll(reason: string): void {
    this.failContexts([...new Set([...this.#pending.values()].map((p) => p.context))], reason);
  }

  #abandon(handle: number, err: Error): void {
    const p = this.#take(handle);
    if (!p) return;
    p.reject(err);
    this.#abandoned.set(handle, p.context);
    if (this.#abandoned.size > ABANDONED_KEPT) this.#abandoned.delete(this.#abandoned.keys().next().value!);
    this.#onAbandon?.(p.context, handle);
  }

  #take(handle: number): Pending | undefined {
    const p = this.#pending.get(handle);
    if (!p) return undefined;
    this.#pending.delete(handle);
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (p.onAbort) p.signal?.removeEventListener("abort", p.onAbort);
    return p;
  }
}
