import { assert, assertEquals } from "../tests/_assert.ts";
import { BIG_BYTES, releaseBig } from "./memory.ts";

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
