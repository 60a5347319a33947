// Call bookkeeping: who may settle which call, and what happens to calls whose context goes away.
import { assert, assertEquals, assertRejects } from "../tests/_assert.ts";
import { FIRST_REPLY_HANDLE } from "./handles.ts";
import { rawFrame, structuredFrame } from "./message.ts";
import { CallCancelledError, CallTable, CallTimeoutError, ContextGoneError } from "./calls.ts";
import { RemoteError } from "./codec.ts";
import { FLAG_DEAD } from "./frame.ts";

const reply = (src: number, handle: number, value: unknown) =>
  structuredFrame({ dst: 0, src, handle }, value);
const dead = (src: number, handle: number, reason: string) =>
  rawFrame({ dst: 0, src, handle }, new TextEncoder().encode(reason), FLAG_DEAD);

Deno.test("calls: replies settle by handle, errors reject, dead contexts fail every call waiting on them", async () => {
  const t = new CallTable();
  const a = t.register<number>(1, "a");
  const b = t.register<number>(1, "b");
  const c = t.register<number>(2, "c");
  assertEquals(t.settle(reply(1, a.handle, 42)), "settled");
  assertEquals(await a.promise, 42);
  t.settle(reply(2, c.handle, new RemoteError({ type: "KeyError", message: "'x'" })));
  await assertRejects(() => c.promise, RemoteError, "KeyError: 'x'");
  t.failContexts([1], "its stream closed");
  await assertRejects(() => b.promise, ContextGoneError, "context 1 is gone: its stream closed");
  assertEquals(t.size, 0);
  assertEquals(t.settle(reply(1, b.handle, 1)), "unknown", "a reply after the context is gone is dropped");
});

Deno.test("calls: only the context a call went to may answer it; another context naming it is foreign", async () => {
  const t = new CallTable();
  const onB = t.register<string>(2, "command on B");
  assertEquals(t.settle(reply(1, onB.handle, "written by A")), "foreign");
  assertEquals(t.settle(dead(1, onB.handle, "forged dead letter")), "foreign");
  assertEquals(t.size, 1, "the call still waits for B");
  assertEquals(t.settle(reply(2, onB.handle, "B's own answer")), "settled");
  assertEquals(await onB.promise, "B's own answer");
});

Deno.test("calls: a dead letter may come from a context on the route to the callee, or the controller", async () => {
  // 5 is behind 1: 1 (and the controller) relay for it, 2 does not.
  const t = new CallTable({ relays: (src, ctx) => src === 0 || (ctx === 5 && src === 1) });
  const a = t.register(5, "a");
  const b = t.register(5, "b");
  assertEquals(t.settle(dead(2, a.handle, "lie")), "foreign");
  assertEquals(t.settle(reply(1, a.handle, "a value is not a dead letter")), "foreign");
  assertEquals(t.settle(dead(1, a.handle, "mito: context 5 is gone")), "settled");
  await assertRejects(() => a.promise, ContextGoneError, "context 5 is gone: mito: context 5 is gone");
  assertEquals(t.settle(dead(0, b.handle, "mito: no route to context 5")), "settled");
  await assertRejects(() => b.promise, ContextGoneError, "context 5 is gone: mito: no route to context 5");
});

Deno.test("calls: reply handles are random and distinct, not a counter another context could predict", () => {
  const t = new CallTable();
  const handles = Array.from({ length: 2000 }, () => {
    const { handle, promise } = t.register(1, "x");
    promise.catch(() => {});
    return handle;
  });
  assertEquals(new Set(handles).size, handles.length);
  assert(handles.every((h) => Number.isInteger(h) && h >= FIRST_REPLY_HANDLE && h < 2 ** 31));
  const steps = new Set(handles.slice(1).map((h, i) => h - handles[i]));
  assert(steps.size > 1000, "consecutive handles have no common step");
  t.failAll("done");
});

Deno.test("calls: timeouts and aborts reject locally and ask the target to drop the call", async () => {
  const abandoned: [number, number][] = [];
  const t = new CallTable({ onAbandon: (ctx, h) => abandoned.push([ctx, h]) });
  const slow = t.register(3, "time.sleep in context 3", { timeout: 1 });
  await assertRejects(
    () => slow.promise,
    CallTimeoutError,
    "time.sleep in context 3 did not answer within 1 ms",
  );
  const ac = new AbortController();
  const cancelled = t.register(3, "x", { signal: ac.signal });
  ac.abort("user pressed ^C");
  await assertRejects(() => cancelled.promise, CallCancelledError, "x was cancelled: user pressed ^C");
  assertEquals(abandoned, [[3, slow.handle], [3, cancelled.handle]]);
  assertEquals(t.settle(reply(3, slow.handle, "late")), "unknown", "its own late reply is dropped quietly");
  assertEquals(t.settle(reply(4, cancelled.handle, "forged")), "foreign", "another context's is not");
});
