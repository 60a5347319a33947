// File transfer: small files inside one call, large ones streamed with a window through hops, fetch back,
// and an interrupted transfer that leaves the destination as it was.
import { createHash } from "node:crypto";
import { assertEquals, assertRejects } from "./_assert.ts";
import { Broker } from "../transports/broker.ts";
import { ContextGoneError } from "../core/calls.ts";

const PY = "/usr/bin/python3";

function pattern(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a small file is written atomically in one call with its mode", async () => {
  await inTempDir(async (dir) => {
    const b = new Broker();
    try {
      const ctx = await b.connect({ method: "local", python: PY });
      const data = pattern(1000, 1);
      assertEquals(await ctx.putFile(`${dir}/small`, data, { mode: 0o640 }), {
        size: 1000,
        sha1: sha1(data),
      });
      assertEquals(await Deno.readFile(`${dir}/small`), data);
      assertEquals(Deno.statSync(`${dir}/small`).mode! & 0o777, 0o640);
    } finally {
      await b.shutdown();
    }
  });
});

Deno.test("a large file streams through a hop in chunks and a fetch brings it back", async () => {
  await inTempDir(async (dir) => {
    const b = new Broker();
    try {
      const hop = await b.connect({ method: "local", python: PY });
      const ctx = await b.connect({ method: "local", python: PY, via: hop });
      const data = pattern(5 * 1024 * 1024 + 17, 2);
      const pieces = async function* () {
        for (let off = 0; off < data.length; off += 300_000) yield data.subarray(off, off + 300_000);
      };
      assertEquals(await ctx.putFile(`${dir}/big`, pieces()), { size: data.length, sha1: sha1(data) });
      assertEquals(sha1(await Deno.readFile(`${dir}/big`)), sha1(data));
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["big"]);

      const fetched = ctx.fetchFile(`${dir}/big`);
      const got = new Uint8Array(await new Response(fetched.stream).arrayBuffer());
      assertEquals([got.length, sha1(got)], [data.length, sha1(data)]);
      assertEquals((await fetched.done).size, data.length);
      await assertRejects(() => ctx.fetchFile(`${dir}/missing`).done, Error, "FileNotFoundError");
    } finally {
      await b.shutdown();
    }
  });
});

Deno.test("with md5 the target also hashes md5 as it writes, inline and streamed", async () => {
  await inTempDir(async (dir) => {
    const b = new Broker();
    try {
      const ctx = await b.connect({ method: "local", python: PY });
      const md5 = (d: Uint8Array) => createHash("md5").update(d).digest("hex");
      for (const [name, size] of [["inline", 1000], ["streamed", 3 * 1024 * 1024 + 5]] as const) {
        const data = pattern(size, 3);
        assertEquals(await ctx.putFile(`${dir}/${name}`, data, { md5: true }), {
          size,
          sha1: sha1(data),
          md5: md5(data),
        });
        assertEquals(sha1(await Deno.readFile(`${dir}/${name}`)), sha1(data));
      }
    } finally {
      await b.shutdown();
    }
  });
});

Deno.test("a transfer cut off mid-way leaves the destination as it was and no partial file", async () => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/dest`, "old content\n");
    const b = new Broker({ onLog: () => {} });
    try {
      const hop = await b.connect({ method: "local", python: PY });
      const ctx = await b.connect({ method: "local", python: PY, via: hop });
      const targetPid = ctx.info!.pid;
      let sentSome!: () => void;
      const started = new Promise<void>((r) => (sentSome = r));
      const endless = async function* () {
        yield pattern(512 * 1024, 3);
        sentSome();
        await new Promise(() => {}); // the rest never comes
      };
      const put = ctx.putFile(`${dir}/dest`, endless());
      await started;
      // Wait (bounded) until the target has created its hidden temp file, then cut the hop.
      for (let i = 0; i < 1000 && [...Deno.readDirSync(dir)].length < 2; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assertEquals([...Deno.readDirSync(dir)].length, 2);
      Deno.kill(hop.info!.pid, "SIGKILL");
      await assertRejects(() => put, ContextGoneError, `context ${ctx.id} is gone`);
      for (
        let i = 0;
        i < 1000 && exists(`/proc/${targetPid}/stat`) &&
        !zombie(targetPid);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["dest"]);
      assertEquals(await Deno.readTextFile(`${dir}/dest`), "old content\n");
    } finally {
      await b.shutdown();
    }
  });
});

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function zombie(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].startsWith("Z");
  } catch {
    return true;
  }
}

Deno.test("a scratch upload is removed when its interpreter ends or is killed before anything moves it", async () => {
  await inTempDir(async (dir) => {
    const base = `${dir}/tmp`;
    await Deno.mkdir(base);
    const data = pattern(300 * 1024, 5); // above the inline limit: streamed
    const b = new Broker({ onLog: () => {} });
    try {
      const killed = await b.connect({ method: "local", python: PY, remoteTmp: base, env: { MITO_T: "1" } });
      await killed.putFile(`${dir}/.f.mito-upload-1a2b`, data, { scratch: true });
      await killed.putFile(`${dir}/kept`, data);
      Deno.kill(killed.info!.pid, "SIGKILL");
      await killed.closed();
      // Reaped (a zombie would still look alive to the sweep), within a bound.
      for (let i = 0; i < 1000 && exists(`/proc/${killed.info!.pid}`); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      // The next interpreter of this account sweeps the dead one's leftovers.
      const next = await b.connect({ method: "local", python: PY, remoteTmp: base, env: { MITO_T: "2" } });
      await next.call("mito.core", "get_temp_dir");
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["kept", "tmp"]);
      // An interpreter that ends normally removes its own.
      await next.putFile(`${dir}/.g.mito-upload-3c4d`, data, { scratch: true });
      await next.shutdown();
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["kept", "tmp"]);
      const other = await b.connect({ method: "local", python: PY, env: { MITO_T: "3" } });
      await assertRejects(
        () => other.putFile(`${dir}/plain`, data, { scratch: true }),
        Error,
        "a scratch upload's name must contain '.mito-upload-'",
      );
    } finally {
      await b.shutdown();
    }
  });
});

Deno.test("a transfer the target refuses fails with its error, stops streaming, and the context goes on", async () => {
  const b = new Broker();
  try {
    const ctx = await b.connect({ method: "local", python: PY });
    const big = pattern(8 * 1024 * 1024, 4);
    await assertRejects(() => ctx.putFile("/nonexistent-dir/x", big), Error, "FileNotFoundError");
    await assertRejects(
      () => ctx.putFile("/nonexistent-dir/y", big.subarray(0, 10)),
      Error,
      "FileNotFoundError",
    );
    assertEquals(await ctx.call("os", "getpid"), ctx.info!.pid);
  } finally {
    await b.shutdown();
  }
});
