// The controller's router (context 0): routes by context id through direct-child streams, checks that a
// stream only speaks for its own subtree, keeps routes current from ADD_ROUTE/DEL_ROUTE, and answers what
// cannot be delivered with dead letters so no caller waits forever. Pure: bytes out go to a callback.
import { encodeFrame, type Frame } from "./frame.ts";
import { ADD_ROUTE, DEL_ROUTE } from "./handles.ts";
import { deadLetterFor, frameValue } from "./message.ts";

export interface RouterHooks {
  /** Write encoded bytes to a stream. */
  write(streamId: number, bytes: Uint8Array): void;
  /** A frame addressed to the controller (handles, replies, dead letters). */
  deliver(frame: Frame, streamId: number | undefined): void;
  /** Contexts that became unreachable (their stream ended or a parent reported them gone). */
  gone(ids: number[], reason: string): void;
  /** Something worth a warning (a dropped, spoofed message). */
  warn?(message: string): void;
}

export class Router {
  readonly id = 0;
  #routes = new Map<number, number>(); // context id -> stream id
  #streams = new Map<number, number>(); // stream id -> the direct child's context id
  constructor(readonly hooks: RouterHooks) {}

  /** A direct child's stream is up: its context is routed through it. */
  addStream(streamId: number, contextId: number): void {
    this.#streams.set(streamId, contextId);
    this.#routes.set(contextId, streamId);
  }

  /** A context reached through a stream (e.g. a child of a child), known before its ADD_ROUTE arrives. */
  addRoute(contextId: number, streamId: number): void {
    this.#routes.set(contextId, streamId);
  }

  streamOf(contextId: number): number | undefined {
    return this.#routes.get(contextId);
  }

  /** The stream ended: every context routed through it is gone. Returns their ids. */
  removeStream(streamId: number, reason: string): number[] {
    if (!this.#streams.delete(streamId)) return [];
    const ids: number[] = [];
    for (const [ctx, s] of this.#routes) if (s === streamId) ids.push(ctx);
    for (const id of ids) this.#routes.delete(id);
    if (ids.length) this.hooks.gone(ids, reason);
    return ids;
  }

  /** Sends a frame from the controller; without a route its sender gets a dead letter. */
  send(frame: Frame): boolean {
    const streamId = this.#routes.get(frame.dst);
    if (streamId === undefined) {
      const dead = deadLetterFor(frame, 0, `mito: no route to context ${frame.dst}`);
      if (dead) this.hooks.deliver(dead, undefined);
      return false;
    }
    this.hooks.write(streamId, encodeFrame(frame));
    return true;
  }

  /** Sends already-encoded bytes (a pre-built burst) to the stream serving `dst`. */
  sendBytes(dst: number, bytes: Uint8Array): boolean {
    const streamId = this.#routes.get(dst);
    if (streamId === undefined) return false;
    this.hooks.write(streamId, bytes);
    return true;
  }

  /** A frame read from a stream. `raw` is its encoding when the caller still has it (saves re-encoding). */
  receive(streamId: number, frame: Frame, raw?: Uint8Array): void {
    if (this.#routes.get(frame.src) !== streamId || this.#routes.get(frame.auth) !== streamId) {
      this.hooks.warn?.(
        `mito: dropped a message on the stream of context ${this.#streams.get(streamId)} claiming ` +
          `src=${frame.src} auth=${frame.auth} (not in its subtree)`,
      );
      return;
    }
    if (frame.dst === 0) {
      if (frame.handle === ADD_ROUTE || frame.handle === DEL_ROUTE) return this.#routeUpdate(streamId, frame);
      this.hooks.deliver(frame, streamId);
      return;
    }
    const target = this.#routes.get(frame.dst);
    if (target === undefined) {
      const dead = deadLetterFor(frame, 0, `mito: no route to context ${frame.dst}`);
      if (dead) this.hooks.write(streamId, encodeFrame(dead));
      return;
    }
    this.hooks.write(target, raw ?? encodeFrame(frame));
  }

  #routeUpdate(streamId: number, frame: Frame): void {
    let ids: unknown;
    try {
      ids = frameValue(frame);
    } catch {
      return;
    }
    if (!Array.isArray(ids)) return;
    if (frame.handle === ADD_ROUTE) {
      // New descendants only: a stream can never take over a context reached through another stream.
      for (const id of ids) {
        if (typeof id !== "number" || !(id > 0)) continue;
        const current = this.#routes.get(id);
        if (current === undefined || current === streamId) this.#routes.set(id, streamId);
        else this.hooks.warn?.(`mito: ignored a route to context ${id} announced by context ${frame.src}`);
      }
      return;
    }
    const lost: number[] = [];
    for (const id of ids) {
      if (typeof id === "number" && this.#routes.get(id) === streamId && this.#streams.get(streamId) !== id) {
        this.#routes.delete(id);
        lost.push(id);
      }
    }
    if (lost.length) this.hooks.gone(lost, `mito: context ${frame.src} reported its child stream gone`);
  }
}
