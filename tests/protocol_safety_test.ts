// What a misbehaving peer can and cannot do: corrupt frames in either direction end the stream with a clear
// reason (what a well-formed but hostile frame can do is tests/protocol_trust_test.ts's), a cancelled queued
// call never runs, and every Python from 3.6 to 3.13 found on this machine runs the same runtime.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { pyenvPython } from "./_pythons.ts";
import { Broker } from "../transports/broker.ts";
import { ContextGoneError } from "../core/calls.ts";
import { spawnProcess } from "../transports/_process.ts";
import { awaitMarker, bootstrapPayload, firstStageArgv, firstStageCode } from "../transports/_bootstrap.ts";
import { HEADER_SIZE, MAGIC } from "../core/frame.ts";
import { FrameDecoder } from "../core/frame.ts";
import { frameValue } from "../core/message.ts";
import { READY } from "../core/handles.ts";

const PY = "/usr/bin/python3";

Deno.test("garbage from a context ends its stream with the reason naming its host, and its pending calls fail", async () => {
  const b = new Broker({ onLog: () => {} });
  try {
    const ctx = await b.connect({ method: "local", python: PY, label: "web1" });
    const fd = await ctx.call<number>("mito.core", "_router.parent.wfd.__int__");
    // This call writes junk straight onto the protocol fd; the sleep queued behind it never answers.
    const junk = ctx.call("os", "write", [
      fd,
      new TextEncoder().encode("hello, this is not a frame........"),
    ]);
    const pending = ctx.call("time", "sleep", [30]);
    await assertRejects(() => junk, ContextGoneError, "mito: corrupt frame from web1: bad magic 0x68");
    await assertRejects(() => pending, ContextGoneError, "mito: corrupt frame from web1: bad magic 0x68");
    assert(!ctx.alive);
  } finally {
    await b.shutdown();
  }
});

Deno.test("a frame announcing more than the maximum size makes the runtime exit without reading it", async () => {
  const ch = spawnProcess({ argv: firstStageArgv(PY) });
  const reader = ch.readable.getReader();
  await awaitMarker(reader, "test");
  await ch.write(
    bootstrapPayload({
      id: 1,
      parent_ids: [0],
      stage: firstStageCode(),
      importable: [],
      max_message_size: 4096,
    }),
  );
  const first = await reader.read();
  const ready = new FrameDecoder().push(first.value!)[0];
  assertEquals(ready.handle, READY);
  assertEquals((frameValue(ready) as { id: number }).id, 1);
  const header = new Uint8Array(HEADER_SIZE);
  const v = new DataView(header.buffer);
  v.setUint8(0, MAGIC);
  v.setInt32(2, 1);
  v.setInt32(14, 1);
  v.setUint32(22, 0xfffffff0);
  await ch.write(header);
  let rest = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    rest += r.value.length;
  }
  const status = await ch.exited;
  assertEquals([rest, status.code], [0, 0]);
});

// Runs `code` on the target and returns the value it leaves in `result`.
const PROBE = (code: string) =>
  `import sys, types
m = types.ModuleType("mito_probe")
exec(${JSON.stringify(code)}, m.__dict__)
sys.modules["mito_probe"] = m`;

Deno.test("a call cancelled while still queued never runs; a timed-out call rejects at once", async () => {
  const dir = await Deno.makeTempDir();
  const b = new Broker();
  try {
    const ctx = await b.connect({ method: "local", python: PY });
    const busy = ctx.call("time", "sleep", [0.3]);
    const ac = new AbortController();
    const never = ctx.call("os", "mkdir", [`${dir}/never`], {}, { signal: ac.signal });
    ac.abort("changed my mind");
    await assertRejects(() => never, Error, "was cancelled: changed my mind");
    const slow = ctx.call("time", "sleep", [0.2], {}, { timeout: 1 });
    await assertRejects(() => slow, Error, "did not answer within 1 ms");
    await busy;
    await ctx.call("os", "getpid"); // after the sleeps: the cancelled mkdir would have run before this
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await b.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the runtime works on every Python from 3.6 to 3.13",
  fn: async () => {
    const versions = ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"].map(pyenvPython);
    const b = new Broker({ onLog: () => {} });
    try {
      for (const py of versions) {
        const ctx = await b.connect({ method: "local", python: py });
        const child = await b.connect({ method: "local", python: py, via: ctx });
        // A different Python below compiles the source it was sent instead of the parent's bytecode.
        const other = await b.connect({ method: "local", python: PY, via: ctx });
        assertEquals([child.info!.bytecode, other.info!.bytecode], [true, py.endsWith("3.11")]);
        const want = py.split("python").at(-1)!.split(".").map(Number);
        assertEquals(child.info!.python.slice(0, 2), want, py);
        assertEquals(
          await child.call("mito.modules.ping", "__doc__.split"),
          await ctx.call<string[]>("mito.modules.ping", "__doc__.split"),
        );
        const data = new Uint8Array(300_000).map((_, i) => i & 255);
        assertEquals(
          (await child.putFile(`${await child.call("mito.core", "get_temp_dir")}/f`, data)).size,
          data.length,
        );
        const err = await assertRejects(() => child.call("os", "stat", ["/nonexistent"]), Error);
        assertStringIncludes(err.message, "FileNotFoundError");
        await ctx.shutdown();
      }
    } finally {
      await b.shutdown();
    }
  },
});

Deno.test("a frame announced beyond the maximum size ends its stream from the header, naming the host", async () => {
  const b = new Broker({ onLog: () => {}, maxMessageSize: 1024 * 1024 });
  try {
    const ctx = await b.connect({ method: "local", python: PY, label: "db2" });
    const fd = await ctx.call<number>("mito.core", "_router.parent.wfd.__int__");
    // Playing a compromised target: a header announcing 2 MiB, written past its own size check.
    const header = new Uint8Array(26);
    const v = new DataView(header.buffer);
    v.setUint8(0, 0x4d);
    v.setInt32(6, ctx.id);
    v.setUint32(22, 2 * 1024 * 1024);
    const attack = ctx.call("os", "write", [fd, header]);
    const reason = "mito: corrupt frame from db2: message of 2097152 bytes exceeds the maximum of 1048576";
    await assertRejects(() => attack, ContextGoneError, reason);
    assert(!ctx.alive);
  } finally {
    await b.shutdown();
  }
});

Deno.test("a message over the maximum size fails alone: neither side sends it and the context goes on", async () => {
  const b = new Broker({ maxMessageSize: 1024 * 1024 });
  try {
    const ctx = await b.connect({ method: "local", python: PY });
    await assertRejects(
      () => ctx.call("os", "urandom", [2 * 1024 * 1024]),
      Error,
      "os.urandom returned message of 2097172 bytes exceeds the maximum of 1048576",
    );
    await assertRejects(
      () => ctx.call("builtins", "len", [new Uint8Array(2 * 1024 * 1024)]),
      Error,
      "call of 2097191 bytes exceeds the maximum message size 1048576",
    );
    assertEquals(await ctx.call("os", "getpid"), ctx.info!.pid);
  } finally {
    await b.shutdown();
  }
});

Deno.test({
  name: "an interpreter older than 3.6 is refused by the first stage with a clear message",
  fn: async () => {
    const py27 = pyenvPython("2.7");
    const b = new Broker();
    try {
      const err = await assertRejects(() => b.connect({ method: "local", python: py27 }));
      assertStringIncludes(err.message, "stderr: mito: the target needs Python 3.6 or newer");
      assertStringIncludes(err.message, '(exit {"code":1,"signal":null})');
    } finally {
      await b.shutdown();
    }
  },
});

Deno.test("results and error details the codec cannot carry become errors, and the context goes on", async () => {
  const b = new Broker();
  try {
    const ctx = await b.connect({ method: "local", python: PY });
    const code = `
class E(Exception):
    def to_dict(self):
        return {"kind": "x", "o": object()}
def boom():
    raise E("boom")
def bad():
    return {"fine": (1, b"x"), "not": object()}
`;
    await ctx.call("builtins", "exec", [PROBE(code)]);
    await assertRejects(
      () => ctx.call("mito_probe", "boom"),
      Error,
      "E: boom (its details could not be sent: cannot encode a value of type object)",
    );
    await assertRejects(
      () => ctx.call("mito_probe", "bad"),
      Error,
      "CodecError: mito_probe.bad returned cannot encode a value of type object",
    );
    assertEquals(await ctx.call("os", "getpid"), ctx.info!.pid);
  } finally {
    await b.shutdown();
  }
});
