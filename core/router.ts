// The controller's router (context 0): routes by context id through direct-child streams and enforces
// docs/protocol.md "Authority": a stream speaks only for its own subtree, a context sends only to the
// controller, routes come only from the controller, and each control message comes from the sender it
// must come from. A context that breaks a rule is cut off alone (its stream closed, or its parent told to
// drop it); what cannot be delivered is answered with dead letters so no caller waits forever. Pure: bytes
// out go to callbacks.
import { encodeFrame, type Frame } from "./frame.ts";
import {
  ADD_ROUTE,
  CALL,
  CANCEL,
  DEL_ROUTE,
  DISCONNECT,
  GET_MODULE,
  LOAD_MODULE,
  SHUTDOWN,
} from "./handles.ts";
import { deadLetterFor, frameValue, structuredFrame } from "./message.ts";

export interface RouterHooks {
  /** Write encoded bytes to a stream. */
  write(streamId: number, bytes: Uint8Array): void;
  /** A frame addressed to the controller (handles, replies, dead letters). */
  deliver(frame: Frame, streamId: number | undefined): void;
  /** Contexts that became unreachable (their stream ended or a parent reported them gone). */
  gone(ids: number[], reason: string): void;
  /** Close a stream whose context broke the protocol (the router already reported its contexts gone). */
  drop?(streamId: number): void;
  /** How an error names a context: its host's inventory name where the controller knows it. */
  name?(id: number): string;
  /** Something worth a warning. */
  warn?(message: string): void;
}

/** Handles that only an ancestor may send: a context sending one upward is attacking what is above it. */
const DOWNWARD = new Map([
  [CALL, "CALL"],
  [LOAD_MODULE, "LOAD_MODULE"],
  [SHUTDOWN, "SHUTDOWN"],
  [CANCEL, "CANCEL"],
  [ADD_ROUTE, "ADD_ROUTE"],
  [DISCONNECT, "DISCONNECT"],
]);

export class Router {
  readonly id = 0;
  #routes = new Map<number, number>(); // context id -> stream id
  #streams = new Map<number, number>(); // stream id -> the direct child's context id
  #parents = new Map<number, number>(); // context id -> the context that started it (0: the controller)
  // Contexts cut off for a violation behind a stream that stays up: their frames still in flight are dropped.
  #banned = new Map<number, number>(); // context id -> stream id
  constructor(readonly hooks: RouterHooks) {}

  /** A direct child's stream is up: its context is routed through it. */
  addStream(streamId: number, contextId: number): void {
    this.#streams.set(streamId, contextId);
    this.#routes.set(contextId, streamId);
    this.#parents.set(contextId, 0);
  }

  /**
   * A context about to be started by `parent`: routed through the parent's stream, and announced with
   * ADD_ROUTE [id, parent] to every context between the controller and the parent (which records the
   * child itself when it attaches it), so their routers know it before it speaks. Routes only ever come
   * from here: no context can claim another's id. False when the parent is unreachable.
   */
  addRoute(contextId: number, parent: number): boolean {
    const streamId = this.#routes.get(parent);
    if (streamId === undefined) return false;
    this.#routes.set(contextId, streamId);
    this.#parents.set(contextId, parent);
    for (let hop = this.#parents.get(parent); hop !== undefined && hop !== 0; hop = this.#parents.get(hop)) {
      this.send(structuredFrame({ dst: hop, src: 0, handle: ADD_ROUTE }, [contextId, parent]));
    }
    return true;
  }

  streamOf(contextId: number): number | undefined {
    return this.#routes.get(contextId);
  }

  /** Whether `ancestor` is `id` itself or lies on the route from the controller to it (0 always does). */
  within(id: number, ancestor: number): boolean {
    for (let c: number | undefined = id; c !== undefined; c = this.#parents.get(c)) {
      if (c === ancestor) return true;
      if (c === 0) return false;
    }
    return ancestor === 0;
  }

  /** The stream ended: every context routed through it is gone. Returns their ids. */
  removeStream(streamId: number, reason: string): number[] {
    if (!this.#streams.delete(streamId)) return [];
    for (const [ctx, s] of this.#banned) if (s === streamId) this.#banned.delete(ctx);
    const ids: number[] = [];
    for (const [ctx, s] of this.#routes) if (s === streamId) ids.push(ctx);
    for (const id of ids) this.#forget(id);
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

  /**
   * A frame read from a stream. Everything a context legitimately sends up is addressed to the
   * controller (anything for its own descendants it routes itself), so only those are delivered; the
   * rest is a protocol violation.
   */
  receive(streamId: number, frame: Frame): void {
    const child = this.#streams.get(streamId);
    if (child === undefined || this.#banned.get(frame.src) === streamId) return;
    if (this.#routes.get(frame.src) !== streamId || this.#routes.get(frame.auth) !== streamId) {
      return this.violation(
        streamId,
        child,
        `it sent a message as context ${frame.src} (authority ${frame.auth})`,
      );
    }
    if (frame.dst !== 0) {
      return this.violation(
        streamId,
        frame.src,
        `it sent a message to context ${frame.dst}; a context may send only to the controller`,
      );
    }
    const downward = DOWNWARD.get(frame.handle);
    if (downward !== undefined) {
      return this.violation(streamId, frame.src, `it sent ${downward}, which only an ancestor may send`);
    }
    if (frame.handle === DEL_ROUTE) return this.#routesGone(streamId, frame);
    if (frame.handle === GET_MODULE && frame.src !== child) {
      return this.violation(
        streamId,
        frame.src,
        "it asked the controller for a module; it must ask its parent",
      );
    }
    this.hooks.deliver(frame, streamId);
  }

  /**
   * Cuts off `offender` (a context behind `streamId`) for breaking the protocol: the stream's own context
   * loses its stream; a deeper one is forgotten here and its parent is told to drop it (DISCONNECT), so
   * everything else behind that stream keeps working. A context not behind the stream is the stream's
   * own context's doing.
   */
  violation(streamId: number, offender: number, detail: string): void {
    const child = this.#streams.get(streamId);
    if (child === undefined) return;
    if (offender === child || this.#routes.get(offender) !== streamId) {
      this.hooks.drop?.(streamId);
      this.removeStream(streamId, this.#violationReason(child, detail));
      return;
    }
    const reason = this.#violationReason(offender, detail);
    const parent = this.#parents.get(offender)!;
    const ids = [...this.#routes.keys()].filter((id) => this.within(id, offender));
    for (const id of ids) {
      this.#forget(id);
      this.#banned.set(id, streamId);
    }
    this.hooks.gone(ids, reason);
    this.send(structuredFrame({ dst: parent, src: 0, handle: DISCONNECT }, [offender, reason]));
  }

  #violationReason(id: number, detail: string): string {
    return `protocol violation from ${this.hooks.name?.(id) ?? `context ${id}`}: ${detail}`;
  }

  #forget(id: number): void {
    this.#routes.delete(id);
    this.#parents.delete(id);
  }

  /**
   * DEL_ROUTE [id, …] from a context whose child stream ended: only its own descendants behind this
   * stream; a trailing string is the violation it cut its child (the first id) off for.
   */
  #routesGone(streamId: number, frame: Frame): void {
    let body: unknown;
    try {
      body = frameValue(frame);
    } catch {
      return this.violation(streamId, frame.src, "it sent an unreadable DEL_ROUTE");
    }
    if (!Array.isArray(body)) return this.violation(streamId, frame.src, "it sent a malformed DEL_ROUTE");
    const ids = body.filter((id): id is number =>
      typeof id === "number" && this.#routes.get(id) === streamId
    );
    const foreign = ids.find((id) => id === frame.src || !this.within(id, frame.src));
    if (foreign !== undefined) {
      return this.violation(
        streamId,
        frame.src,
        `it reported context ${foreign} gone, which it did not start`,
      );
    }
    if (!ids.length) return;
    const detail = body[body.length - 1];
    const reason = typeof detail === "string"
      ? this.#violationReason(ids[0], detail)
      : `mito: context ${frame.src} reported its child stream gone`;
    for (const id of ids) this.#forget(id);
    this.hooks.gone(ids, reason);
  }
}
