import { assert, assertEquals } from "../tests/_assert.ts";
import { BIG_BYTES, freeBuffer, releaseBig } from "./memory.ts";

const nextTurn = () => new Promise((r) => setTimeout(r, 0));

Deno.test("releaseBig collects garbage at once after big garbage, and does nothing after small", async () => {
  let garbage: object | undefined = { payload: new Uint8Array(1024) };
  const ref = new WeakRef(garbage);
  garbage = undefined;
  await nextTurn(); // a WeakRef keeps its target alive until the end of the job that made it
  assertEquals(releaseBig(BIG_BYTES - 1), false);
  assertEquals(releaseBig(BIG_BYTES), true);
  assert(ref.deref() === undefined, "the unreachable object was collected");
});

Deno.test("freeBuffer frees a view that spans its whole buffer, and leaves a part of a buffer alone", () => {
  const whole = new Uint8Array(65536);
  freeBuffer(whole);
  assertEquals([whole.byteLength, whole.buffer.byteLength], [0, 0]);
  const shared = new Uint8Array(65536);
  const part = shared.subarray(1024);
  freeBuffer(part);
  assertEquals([part.byteLength, shared.byteLength], [65536 - 1024, 65536]);
});
