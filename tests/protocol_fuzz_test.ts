// Fuzzing the decoders on both sides: random bytes, mutated valid frames and hostile JSON (tags whose
// payloads have any type, huge lengths, deep nesting) must only ever raise the protocol's own errors —
// FrameError/CodecError on the controller (core/frame.ts, core/codec.ts), ProtocolError on the target
// (bootstrap/core.py, driven by tests/protocol_fuzz.py) — never another exception, a hang or a huge
// allocation. Seeded, so a finding reproduces; each side runs its 100k cases in a few seconds.
import { assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { Broker } from "../transports/broker.ts";
import {
  CodecError,
  decodeBody,
  encodeBody,
  MAX_CONTAINERS,
  MAX_DEPTH,
  MAX_INT_DIGITS,
  RemoteError,
  tuple,
} from "../core/codec.ts";
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  encodeFrame,
  FLAG_BLOBS,
  FLAG_DEAD,
  FLAG_TAGS,
  FrameDecoder,
  FrameError,
} from "../core/frame.ts";
import { frameValue, structuredFrame } from "../core/message.ts";

const PY = "/usr/bin/python3";
const CORE = new URL("../bootstrap/core.py", import.meta.url).pathname;
const HARNESS = new URL("./protocol_fuzz.py", import.meta.url).pathname;
const CASES = 100_000;
const SEED = 20261207;

function rng(seed: number) {
  let s = seed >>> 0;
  return {
    next(): number {
      // mulberry32
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    },
    int(n: number): number {
      return Math.floor(this.next() * n);
    },
    pick<T>(xs: readonly T[]): T {
      return xs[this.int(xs.length)];
    },
  };
}
type Rng = ReturnType<typeof rng>;

const TAGS = ["$b", "$i", "$f", "$t", "$d", "$e", "$x", "$"];
const KEYS = ["a", "", "$", "type", "message", "data", "__proto__", "toString", "constructor", "valueOf"];
const U32S = [0, 1, 2, 3, 4, 7, 8, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** A value the encoder accepts: the seeds mutations start from. */
function value(r: Rng, depth = 0): unknown {
  switch (r.int(depth < 4 ? 13 : 8)) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.int(2000) - 1000;
    case 3:
      return r.pick([2n ** 60n, -(2n ** 70n), 10n ** 30n]);
    case 4:
      return r.pick([0.5, -1.25, Infinity, NaN, 1e300]);
    case 5:
      return Array.from({ length: r.int(6) }, () => r.pick(["a", "$", '"', "\\", "é", "\u2028", "😀"])).join(
        "",
      );
    case 6:
      return Uint8Array.from({ length: r.int(8) }, () => r.int(256));
    case 7:
      return r.pick(TAGS);
    case 8:
      return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
    case 9:
      return tuple(...Array.from({ length: r.int(4) }, () => value(r, depth + 1)));
    case 10:
      return Object.fromEntries(
        Array.from({ length: r.int(4) }, () => [r.pick([...KEYS, ...TAGS]), value(r, depth + 1)]),
      );
    case 11:
      return new Map<unknown, unknown>([[r.int(5), value(r, depth + 1)], [
        tuple<unknown>(1, "x"),
        value(r, depth + 1),
      ]]);
    default:
      return new RemoteError({ type: "E", message: "m", traceback: "tb", data: value(r, depth + 1) });
  }
}

/** JSON-shaped data whose tag objects carry payloads of any type. */
function hostile(r: Rng, depth = 0): unknown {
  switch (r.int(depth < 5 ? 10 : 6)) {
    case 0:
      return null;
    case 1:
      return r.pick([true, false, 0, -1, 1.5, 2 ** 64, 1e308, 0.1]);
    case 2:
      return r.pick([
        "",
        "x",
        "1",
        "-5",
        "nan",
        "inf",
        "1e999",
        "9".repeat(5000),
        "0x10",
        "1_0",
        " 1",
        "Infinity",
      ]);
    case 3:
      return r.pick([...KEYS, ...TAGS]);
    case 4:
      return Array.from({ length: r.int(3) }, () => hostile(r, depth + 1));
    case 5:
      return { [r.pick(TAGS)]: hostile(r, depth + 1) };
    case 6:
      return { [r.pick(TAGS)]: [hostile(r, depth + 1), hostile(r, depth + 1)] };
    case 7:
      return { $d: Array.from({ length: r.int(3) }, () => [hostile(r, depth + 1), hostile(r, depth + 1)]) };
    case 8:
      return {
        $e: Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(KEYS), hostile(r, depth + 1)])),
      };
    default:
      return Object.fromEntries(
        Array.from({ length: r.int(3) }, () => [r.pick([...KEYS, ...TAGS]), hostile(r, depth + 1)]),
      );
  }
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function blobTable(json: Uint8Array, blobs: Uint8Array[]): Uint8Array {
  return concat([u32(json.length), json, u32(blobs.length), ...blobs.flatMap((b) => [u32(b.length), b])]);
}

const TAILS = ["[", "{", '"', "\\", "]}", "\xff"].map((s) => new TextEncoder().encode(s));

function mutate(r: Rng, input: Uint8Array): Uint8Array {
  let d = Array.from(input);
  for (let m = 1 + r.int(3); m > 0; m--) {
    switch (r.int(7)) {
      case 0:
        if (d.length) d[r.int(d.length)] ^= 1 << r.int(8);
        break;
      case 1:
        if (d.length) d[r.int(d.length)] = r.int(256);
        break;
      case 2:
        d = d.slice(0, r.int(d.length + 1));
        break;
      case 3: {
        const i = r.int(d.length + 1);
        d.splice(i, 0, ...Array.from({ length: 1 + r.int(7) }, () => r.int(256)));
        break;
      }
      case 4:
        if (d.length >= 4) {
          const i = r.int(d.length - 3);
          d.splice(i, 4, ...u32(r.pick([...U32S, d.length, d.length - i])));
        }
        break;
      case 5: {
        const i = r.int(d.length + 1);
        const j = i + r.int(d.length - i + 1);
        d.splice(j, 0, ...d.slice(i, j));
        break;
      }
      default:
        d = [...d.slice(0, r.int(d.length + 1)), ...r.pick(TAILS)];
    }
  }
  return Uint8Array.from(d);
}

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

/** One case: bytes for a FrameDecoder (or null) and bodies to decode directly. */
function makeCase(r: Rng): [Uint8Array | null, [Uint8Array, number][]] {
  switch (r.int(6)) {
    case 0:
      return [Uint8Array.from({ length: r.int(64) }, () => r.int(256)), []];
    case 1: {
      const f = structuredFrame(
        { dst: 1, src: 2, handle: r.pick([1, 3, 1000]), replyTo: r.pick([0, 1001]) },
        value(r),
      );
      return [mutate(r, encodeFrame(f)), []];
    }
    case 2: {
      const { body, flags } = encodeBody(value(r));
      return [null, [[mutate(r, body), flags], [body, r.int(16)]]];
    }
    case 3: {
      const j = json(hostile(r));
      const blobs = Array.from({ length: r.int(3) }, () => new Uint8Array(r.int(4)));
      return [null, [[j, FLAG_TAGS], [blobTable(j, blobs), FLAG_TAGS | FLAG_BLOBS]]];
    }
    case 4: {
      const j = json(hostile(r));
      return [null, [[mutate(r, j), r.pick([0, FLAG_TAGS])], [
        mutate(r, blobTable(j, [new Uint8Array(2)])),
        FLAG_TAGS | FLAG_BLOBS,
      ]]];
    }
    default: {
      const frames = concat(
        Array.from(
          { length: 1 + r.int(3) },
          () => encodeFrame(structuredFrame({ dst: 1, src: 2, handle: 3 }, value(r))),
        ),
      );
      return [frames.subarray(0, r.int(frames.length + 1)), []];
    }
  }
}

const deep = (open: string, middle: string, close: string, n: number) =>
  enc.encode(open.repeat(n) + middle + close.repeat(n));

// Inputs that once cost seconds and hundreds of MB, or overflowed the stack.
const SPECIAL: [Uint8Array | null, [Uint8Array, number][]][] = [
  [concat([Uint8Array.of(0x4d, 0), new Uint8Array(16), u32(2), u32(0xffffffff)]), []],
  [null, [[deep("[", "", "]", 5_000_000), 0], [deep("[", "", "]", 200_000), FLAG_TAGS]]],
  [null, [[deep('{"a":', "1", "}", 100_000), FLAG_TAGS], [deep('{"$t":', "[]", "}", 100_000), FLAG_TAGS]]],
  [null, [[deep('{"$d":[[', "1,2", "]]}", 20_000), FLAG_TAGS]]],
  [null, [[enc.encode("[" + "[],".repeat(2_000_000) + "[]]"), 0]]],
  [null, [[enc.encode(`{"$i":"${"9".repeat(1_000_000)}"}`), FLAG_TAGS]]],
  [null, [[concat([u32(2), enc.encode("[]"), u32(0xffffffff)]), FLAG_BLOBS]]],
  [null, [[concat([u32(0xfffffff0), enc.encode("[]")]), FLAG_BLOBS]]],
  [null, [[enc.encode('{"$e":{"type":{"toString":1},"message":{"valueOf":[]}}}'), FLAG_TAGS]]],
];

Deno.test("controller decoders: 100k random and mutated inputs raise only FrameError or CodecError", () => {
  const r = rng(SEED);
  const findings: string[] = [];
  const stats = { cases: 0, frames: 0, decoded: 0, refused: 0 };
  const hex = (b: Uint8Array) =>
    Array.from(b.subarray(0, 120), (x) => x.toString(16).padStart(2, "0")).join("");
  const decode = (body: Uint8Array, flags: number) => {
    try {
      decodeBody(body, flags);
      stats.decoded++;
    } catch (e) {
      if (e instanceof CodecError) stats.refused++;
      else findings.push(`case ${stats.cases}: decodeBody(flags=${flags}) ${e}: ${hex(body)}`);
    }
  };
  const feed = (data: Uint8Array) => {
    const decoder = new FrameDecoder(1 << 20, "fuzz");
    let off = 0;
    while (off < data.length) {
      const n = 1 + r.int(Math.min(data.length - off, 40_000));
      let frames;
      try {
        frames = decoder.push(data.subarray(off, off + n));
      } catch (e) {
        if (e instanceof FrameError) stats.refused++;
        else findings.push(`case ${stats.cases}: FrameDecoder ${e}: ${hex(data)}`);
        return;
      }
      off += n;
      for (const f of frames) {
        stats.frames++;
        if (f.encoding === 0 && !(f.flags & FLAG_DEAD)) decode(f.body, f.flags);
      }
    }
  };
  for (let i = 0; i < SPECIAL.length + CASES; i++) {
    const [data, bodies] = i < SPECIAL.length ? SPECIAL[i] : makeCase(r);
    stats.cases++;
    if (data) feed(data);
    for (const [body, flags] of bodies) decode(body, flags);
  }
  assertEquals(findings.slice(0, 10), []);
  assertEquals(stats.cases, SPECIAL.length + CASES);
  // The mix exercises both outcomes: a fuzzer whose inputs all fail early would prove nothing.
  assertEquals([stats.frames > 10_000, stats.decoded > 30_000, stats.refused > 30_000], [true, true, true]);
});

Deno.test("target decoders: 100k random and mutated inputs raise only ProtocolError (python3 harness)", async () => {
  const out = await new Deno.Command(PY, { args: [HARNESS, CORE, String(SEED), String(CASES)] }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const stats = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals(stats.findings, []);
  assertEquals(stats.cases, CASES + 9);
  assertEquals([stats.frames > 10_000, stats.decoded > 30_000, stats.refused > 30_000], [true, true, true]);
});

Deno.test("limits: a too-deep or too-big body from a target is refused naming the context, before parsing", () => {
  const error = (text: string, flags = FLAG_TAGS) => {
    const f = {
      dst: 0,
      src: 7,
      auth: 7,
      handle: 1000,
      replyTo: 0,
      flags,
      encoding: 0,
      body: enc.encode(text),
    };
    try {
      frameValue(f);
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
    return "decoded";
  };
  const refused = (why: string) => `CodecError: mito: undecodable message from context 7: ${why}`;
  assertEquals(error("[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH)), "decoded");
  assertEquals(
    error("[".repeat(MAX_DEPTH + 1) + "]".repeat(MAX_DEPTH + 1), 0),
    refused(`body nested deeper than ${MAX_DEPTH} levels`),
  );
  // Tags count as the levels they are in the JSON: {"$t":[ is two.
  assertEquals(
    error('{"$t":['.repeat(MAX_DEPTH / 2 + 1) + "]}".repeat(MAX_DEPTH / 2 + 1)),
    refused(`body nested deeper than ${MAX_DEPTH} levels`),
  );
  // Brackets inside strings (escaped quotes and backslashes included) are text, not nesting.
  assertEquals(
    error(JSON.stringify(["[".repeat(1000) + '"\\' + "{".repeat(1000), "\\", '\\"['])),
    "decoded",
  );
  assertEquals(error("[" + "[],".repeat(MAX_CONTAINERS - 2) + "[]]"), "decoded");
  assertEquals(
    error("[" + "[],".repeat(MAX_CONTAINERS - 1) + "[]]"),
    refused(`body holds more than ${MAX_CONTAINERS} arrays and objects`),
  );
  assertEquals(error(`{"$i":"${"9".repeat(MAX_INT_DIGITS)}"}`), "decoded");
  assertEquals(
    error(`{"$i":"${"9".repeat(MAX_INT_DIGITS + 1)}"}`),
    refused(`bad big integer "${"9".repeat(39)}…`),
  );
  // A length beyond the maximum message size ends the stream from the header alone.
  const header = concat([Uint8Array.of(0x4d, 0), new Uint8Array(16), u32(0), u32(0xffffffff)]);
  let stream = "";
  try {
    new FrameDecoder(DEFAULT_MAX_MESSAGE_SIZE, "context 7").push(header);
  } catch (e) {
    stream = (e as Error).message;
  }
  assertEquals(
    stream,
    "mito: corrupt frame from context 7: message of 4294967295 bytes exceeds the maximum of 134217728",
  );
});

Deno.test("a too-deep reply fails only its call, naming the host; a too-deep argument likewise", async () => {
  const b = new Broker({ onLog: () => {} });
  try {
    const ctx = await b.connect({ method: "local", python: PY, label: "web1" });
    // Playing a compromised target: the next reply it encodes is 513 levels of "[" (its own encoder
    // could not even produce that: Python's recursion limit stops it near 490).
    const plant = [
      "import mito.core as c",
      "real = c.encode_body",
      "def once(value):",
      "    c.encode_body = real",
      `    return b"[" * ${MAX_DEPTH + 1} + b"]" * ${MAX_DEPTH + 1}, 0`,
      "c.encode_body = once",
    ].join("\n");
    await assertRejects(
      () => ctx.call("builtins", "exec", [plant, {}]),
      CodecError,
      `mito: undecodable message from web1: body nested deeper than ${MAX_DEPTH} levels`,
    );
    let arg: unknown[] = [];
    for (let i = 0; i < MAX_DEPTH; i++) arg = [arg];
    const refused = await assertRejects(() => ctx.call("builtins", "len", [arg]));
    assertStringIncludes(refused.message, `body nested deeper than ${MAX_DEPTH} levels`);
    // The context is still there and answers.
    assertEquals(await ctx.call("json", "loads", ["[[1]]"]), [[1]]);
  } finally {
    await b.shutdown();
  }
});

Deno.test("limits: the target refuses at the same bounds as the controller", async () => {
  const check = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("core", sys.argv[1])
core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(core)
out = []
for text in json.loads(sys.stdin.read()):
    try:
        core.decode_body(text.encode(), core.FLAG_TAGS)
        out.append("decoded")
    except core.ProtocolError as e:
        out.append(str(e))
print(json.dumps(out))
`;
  const bodies = [
    "[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH),
    "[".repeat(MAX_DEPTH + 1) + "]".repeat(MAX_DEPTH + 1),
    JSON.stringify(["[".repeat(1000) + '"\\' + "{".repeat(1000), "\\", '\\"[']),
    "[" + "[],".repeat(MAX_CONTAINERS - 2) + "[]]",
    "[" + "[],".repeat(MAX_CONTAINERS - 1) + "[]]",
    `{"$i":"${"9".repeat(MAX_INT_DIGITS)}"}`,
    `{"$i":"${"9".repeat(MAX_INT_DIGITS + 1)}"}`,
  ];
  const child = new Deno.Command(PY, { args: ["-c", check, CORE], stdin: "piped", stdout: "piped" }).spawn();
  const w = child.stdin.getWriter();
  await w.write(enc.encode(JSON.stringify(bodies)));
  await w.close();
  const out = await child.output();
  assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), [
    "decoded",
    `body nested deeper than ${MAX_DEPTH} levels`,
    "decoded",
    "decoded",
    `body holds more than ${MAX_CONTAINERS} arrays and objects`,
    "decoded",
    `bad big integer '${"9".repeat(39)}`,
  ]);
});
