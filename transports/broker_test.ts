import { assertEquals } from "../tests/_assert.ts";
import { Broker, ConnectError, type ConnectMethod } from "./broker.ts";
import type { ByteChannel } from "./stream.ts";

/** A method whose spawns are recorded and fail with ConnectError: at once, or when `refuse` is called. */
function recordingMethod(log: string[], atOnce = false): ConnectMethod & { refuse(): void } {
  const pending: (() => void)[] = [];
  return {
    spawn(spec) {
      log.push(`spawn ${spec.hostname}`);
      const refused = new ConnectError(`${spec.hostname} refused`);
      if (atOnce) return Promise.reject(refused);
      return new Promise<ByteChannel>((_, reject) => pending.push(() => reject(refused)));
    },
    refuse: () => pending.splice(0).forEach((r) => r()),
  };
}

Deno.test("connect starts the spawn before it returns: nothing the caller queues after it runs first", async () => {
  const log: string[] = [];
  const method = recordingMethod(log);
  const broker = new Broker({ methods: { rec: method }, capControllerChildren: false });
  const connecting = broker.connect({ method: "rec", hostname: "h1", timeout: 60_000 });
  log.push("caller goes on");
  queueMicrotask(() => log.push("queued work"));
  assertEquals(log, ["spawn h1", "caller goes on"]);
  method.refuse();
  const err = await connecting.then(() => undefined, (e) => e);
  assertEquals((err as Error).message, "h1 refused");
  assertEquals(log, ["spawn h1", "caller goes on", "queued work"]);
  await broker.shutdown();
});

Deno.test("a spawn that fails at once still rejects connect with its ConnectError", async () => {
  const log: string[] = [];
  const broker = new Broker({ methods: { rec: recordingMethod(log, true) }, capControllerChildren: false });
  const err = await broker.connect({ method: "rec", hostname: "h2", timeout: 60_000 }).then(
    () => undefined,
    (e) => e,
  );
  assertEquals([err instanceof ConnectError, (err as Error).message], [true, "h2 refused"]);
  assertEquals(log, ["spawn h2"]);
  await broker.shutdown();
});
