// The core and its modules loaded on demand (docs/protocol.md "Core and modules loaded on demand"): every
// context gets only the core with its bootstrap; child spawning (mito.parent), file transfers
// (mito.transfer) and linked forks (mito.fork) reach a context only when a call there needs them, and what a
// child asks for passes through its parent as data, never run there.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { Broker, type Context, type LogRecord } from "../transports/broker.ts";

const PY = "/usr/bin/python3";
const ON_DEMAND = ["mito.parent", "mito.transfer", "mito.fork"];

/** Which of the modules loaded on demand `ctx` has imported (run), in ON_DEMAND's order. */
function imported(ctx: Context): Promise<boolean[]> {
  return Promise.all(ON_DEMAND.map((m) => ctx.call<boolean>("sys", "modules.__contains__", [m])));
}

/** Which of them `ctx` holds the source of (sent to it, or passed through it to a child). */
function received(ctx: Context): Promise<boolean[]> {
  return Promise.all(
    ON_DEMAND.map((m) => ctx.call<boolean>("mito.core", "_importer.cache.__contains__", [m])),
  );
}

async function withBroker(
  fn: (b: Broker, dir: string, logs: LogRecord[]) => Promise<void>,
): Promise<void> {
  const logs: LogRecord[] = [];
  const b = new Broker({ onLog: (r) => void logs.push(r) });
  const dir = mkdtempSync(join(tmpdir(), "mito-ondemand-"));
  try {
    await fn(b, dir, logs);
  } finally {
    await b.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");

Deno.test("a leaf context holds no spawning, transfer or fork code until a call needs it", async () => {
  await withBroker(async (b, dir) => {
    const ctx = await b.connect({ method: "local", python: PY });
    assertEquals(await ctx.call("operator", "add", [1, 2]), 3);
    assertEquals(await imported(ctx), [false, false, false]);
    assertEquals(await received(ctx), [false, false, false], "not even sent");
    for (
      const name of ["connect_child", "SPAWN_METHODS", "receive_file", "write_file", "send_file", "fork"]
    ) {
      assertEquals(await ctx.call("mito.core", "__dict__.__contains__", [name]), false, `mito.core.${name}`);
    }
    // A built-in module run in the context's own process: the runner comes, its forking does not.
    assertEquals((await ctx.call<{ ping: string }>("mito.runner", "run_module", ["ping", {}])).ping, "pong");
    assertEquals(await imported(ctx), [false, false, false]);
    assertEquals(await received(ctx), [false, false, false]);

    const small = new TextEncoder().encode("small\n");
    assertEquals(await ctx.putFile(join(dir, "small"), small), { size: 6, sha1: sha1(small) });
    assertEquals(await imported(ctx), [false, true, false], "a file transfer loads mito.transfer only");

    const forked = await ctx.call<{ ping: string }>("mito.runner", "run_module", ["ping", {}], {
      isolation: "fork",
    });
    assertEquals(forked.ping, "pong");
    assertEquals(await imported(ctx), [false, true, true], "a module run in a fork loads mito.fork");
  });
});

// The probe parks nothing itself: it notes what the core parked (FILE_CHUNK and FILE_ACK that came before
// mito.transfer was loaded) and holds the main thread until the test opens the gate.
const PROBE = `
import os, sys, time, types
import mito.core as c
parked = []
real_put = c._transfer_messages.put
def put(msg):
    if c._transfer_messages.handler is None:
        parked.append(msg.handle)
        if msg.handle == c.FILE_CHUNK and len(msg.body) == 4:  # the transfer's end
            c._warn("parked %d" % len(parked))
    real_put(msg)
c._transfer_messages.put = put
def hold(gate):
    while not os.path.exists(gate):
        time.sleep(0.01)
m = types.ModuleType("mito_probe")
m.hold = hold
m.parked = parked
sys.modules["mito_probe"] = m
`;

Deno.test("chunks that arrive before mito.transfer is loaded wait in the core and are written in order", async () => {
  await withBroker(async (b, dir, logs) => {
    const ctx = await b.connect({ method: "local", python: PY });
    await ctx.call("builtins", "exec", [PROBE, {}]);
    const gate = join(dir, "gate");
    // The main thread is busy, so receive_file cannot load mito.transfer before every chunk has come.
    const held = ctx.call("mito_probe", "hold", [gate]);
    const data = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 255);
    const put = ctx.putFile(join(dir, "big"), data);
    try {
      for (let i = 0; i < 3000 && !logs.some((r) => r.message.startsWith("parked ")); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      // 1 MiB in 128 KiB chunks and the empty one that ends the transfer.
      assertEquals(logs.map((r) => r.message), ["parked 9"]);
    } finally {
      writeFileSync(gate, "");
    }
    await held;
    assertEquals(await put, { size: data.length, sha1: sha1(data) });
    assertEquals(new Uint8Array(readFileSync(join(dir, "big"))), data);
    assertEquals(await ctx.call("mito_probe", "parked.__len__"), 9);
    assertEquals(await ctx.call("mito.core", "_transfer_messages.messages.__len__"), 0, "all handed over");
    assertEquals(await imported(ctx), [false, true, false]);
  });
});

Deno.test("a context that starts a child loads mito.parent; what its child imports passes through it unrun", async () => {
  await withBroker(async (b, dir) => {
    const bastion = await b.connect({ method: "local", python: PY });
    const child = await b.connect({ method: "local", python: PY, via: bastion });
    assertEquals(await imported(bastion), [true, false, false]);
    assertEquals(await imported(child), [false, false, false], "the child is a leaf");
    assertEquals(await received(child), [false, false, false]);

    // The child asks its parent (GET_MODULE), which asks the controller and keeps the answer for its
    // other children: a module crosses each hop once, and is run only where it is imported.
    await child.call("builtins", "exec", ["import mito.fork", {}]);
    assertEquals(await imported(child), [false, false, true]);
    assertEquals(await received(bastion), [true, false, true]);
    assertEquals(await imported(bastion), [true, false, false]);

    // Files through the hop: the child loads mito.transfer; the bastion only routes the chunks.
    const data = new Uint8Array(300_000).map((_, i) => i & 255);
    assertEquals(await child.putFile(join(dir, "f"), data), { size: data.length, sha1: sha1(data) });
    assertEquals(await imported(child), [false, true, true]);
    assertEquals(await imported(bastion), [true, false, false]);
    assertEquals(existsSync(join(dir, "f")), true);
  });
});
