// Framing and the structured codec: TypeScript encodes, the remote core's own Python codec (bootstrap/core.py
// run by /usr/bin/python3) decodes and re-encodes, and the bytes come back identical.
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  encodeFrame,
  FLAG_BLOBS,
  FLAG_TAGS,
  type Frame,
  FrameDecoder,
  FrameError,
  HEADER_SIZE,
} from "../core/frame.ts";
import {
  CodecError,
  decodeBody,
  encodeBody,
  LONG_STRING,
  PyFloat,
  RemoteError,
  Tuple,
  tuple,
} from "../core/codec.ts";
import { rawFrame, structuredFrame } from "../core/message.ts";

const PY = "/usr/bin/python3";
const CORE = new URL("../bootstrap/core.py", import.meta.url).pathname;

// Decodes every frame from stdin with mito.core's codec and writes it back re-encoded; a body the codec
// refuses comes back as a dead letter carrying the CodecError text.
const ECHO = `
import importlib.util, sys
spec = importlib.util.spec_from_file_location("core_under_test", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    h = inp.read(m.HEADER_SIZE)
    if not h:
        break
    magic, kind, dst, src, auth, handle, reply_to, length = m.HEADER.unpack(h)
    body = inp.read(length)
    try:
        v = m.decode_body(body, kind & 15)
        out.write(m.frame(dst, src, auth, handle, reply_to, v))
    except m.CodecError as e:
        out.write(m.frame(dst, src, auth, handle, reply_to, raw=str(e).encode(), flags=m.FLAG_DEAD))
out.flush()
`;

async function pythonEcho(frames: Uint8Array[]): Promise<Frame[]> {
  const cmd = new Deno.Command(PY, {
    args: ["-c", ECHO, CORE],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  const w = child.stdin.getWriter();
  for (const f of frames) await w.write(f);
  await w.close();
  const { stdout, stderr, code } = await child.output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  return new FrameDecoder(DEFAULT_MAX_MESSAGE_SIZE).push(stdout);
}

// Deterministic generator of values both sides represent identically (see docs/protocol.md for the two
// documented exceptions: floats below 1e-4 print differently, integer-like object keys reorder in JS).
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function genValue(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 9 : 14));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor((r() - 0.5) * 2 ** 40);
    case 3:
      return Math.round((r() - 0.5) * 1e6) / 1000 + 0.001;
    case 4:
      return genString(r);
    case 5: {
      const b = new Uint8Array(Math.floor(r() * 64));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
      return b;
    }
    case 6:
      return BigInt(2) ** BigInt(54 + Math.floor(r() * 80)) * (r() < 0.5 ? -1n : 1n);
    case 7:
      return new PyFloat([0, 1, -3, 1e16, 2 ** 60, NaN, Infinity, -Infinity][Math.floor(r() * 8)]);
    case 8:
      return "";
    case 9: {
      const n = Math.floor(r() * 5);
      return Array.from({ length: n }, () => genValue(r, depth + 1));
    }
    case 10: {
      const n = Math.floor(r() * 5);
      return tuple(...Array.from({ length: n }, () => genValue(r, depth + 1)));
    }
    case 11: {
      const o: Record<string, unknown> = {};
      const n = Math.floor(r() * 5);
      for (let i = 0; i < n; i++) o[`k${genString(r)}`] = genValue(r, depth + 1);
      return o;
    }
    case 12:
      return { [`$${genString(r)}`]: genValue(r, depth + 1) };
    default: {
      const m = new Map<unknown, unknown>();
      m.set(Math.floor(r() * 100), genValue(r, depth + 1));
      m.set(tuple<unknown>(1, "a"), genValue(r, depth + 1));
      return m;
    }
  }
}

const ALPHABET = [
  "a",
  "Z",
  "0",
  " ",
  '"',
  "\\",
  "\n",
  "\t",
  "\u0001",
  "\u007f",
  "é",
  "ß",
  "€",
  "😀",
  "日",
  "$",
  "{",
];
function genString(r: () => number): string {
  let s = "";
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

Deno.test("frames survive any slicing of the stream and keep every header field", () => {
  const frames = [
    structuredFrame({ dst: 3, src: 0, auth: 0, handle: 1, replyTo: 1001 }, ["x", 1]),
    structuredFrame({ dst: -1, src: 2147483647, auth: 7, handle: 2147483647, replyTo: 0 }, null),
  ];
  const bytes = new Uint8Array([...encodeFrame(frames[0]), ...encodeFrame(frames[1])]);
  for (const step of [1, 3, 25, 26, 27, bytes.length]) {
    const dec = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < bytes.length; i += step) got.push(...dec.push(bytes.subarray(i, i + step)));
    assertEquals(
      got.map((f) => ({ ...f, body: [...f.body] })),
      frames.map((f) => ({ ...f, body: [...f.body] })),
    );
    assertEquals(dec.buffered, 0);
  }
});

Deno.test("a big frame arriving in many chunks comes out whole and in order with the frames around it", () => {
  const big = new Uint8Array(1_000_003).map((_, i) => i % 251);
  const frames = [
    structuredFrame({ dst: 1, src: 0, handle: 7 }, "before"),
    rawFrame({ dst: 1, src: 0, handle: 8, replyTo: 9 }, big),
    structuredFrame({ dst: 1, src: 0, handle: 10 }, ["after", 2]),
  ];
  const parts = frames.map(encodeFrame);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (bytes.set(p, off), off + p.length), 0);
  for (const step of [7, 65536, 99991]) {
    const dec = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < bytes.length; i += step) {
      got.push(...dec.push(bytes.subarray(i, i + step)));
      // Everything received and not yet returned as a frame is counted, gathered in place or not.
      const returned = got.reduce((n, f) => n + HEADER_SIZE + f.body.length, 0);
      assertEquals(dec.buffered, Math.min(i + step, bytes.length) - returned);
    }
    assertEquals(got.length, 3);
    assertEquals(got.map((f) => f.handle), [7, 8, 10]);
    assertEquals(got[1].replyTo, 9);
    assert(got[1].body.every((b, i) => b === i % 251) && got[1].body.length === big.length);
    assertEquals(decodeBody(got[2].body, got[2].flags), ["after", 2]);
    assertEquals(dec.buffered, 0);
  }
});

Deno.test("a big frame is gathered once 1 MiB of it arrived, and the chunks copied into it are the caller's to free", () => {
  const body = new Uint8Array(8 * 1024 * 1024).map((_, i) => i % 253);
  const bytes = encodeFrame(rawFrame({ dst: 1, src: 0, handle: 8 }, body));
  const dec = new FrameDecoder();
  const step = 64 * 1024;
  const copied: number[] = [];
  let frames: Frame[] = [];
  for (let i = 0; i < bytes.length; i += step) {
    frames = dec.push(bytes.subarray(i, i + step));
    if (dec.lastChunkCopied) copied.push(i / step);
  }
  // Chunks 0-15 (1 MiB) are held as they are until the 16th gathers them; every later one is copied whole.
  const chunks = Math.ceil(bytes.length / step);
  assertEquals(copied, Array.from({ length: chunks - 16 }, (_, k) => 16 + k));
  assertEquals(frames.length, 1);
  assert(frames[0].body.every((b, i) => b === i % 253) && frames[0].body.length === body.length);
  // Small frames are views of their chunk: never the caller's to free.
  const small = new FrameDecoder();
  small.push(encodeFrame(structuredFrame({ dst: 1, src: 0, handle: 7 }, "small")));
  assertEquals(small.lastChunkCopied, false);
});

Deno.test("a bad magic, an unknown encoding or flag or an oversized length kill the stream before any allocation", () => {
  const good = encodeFrame(structuredFrame({ dst: 1, src: 0, handle: 1 }, 1));
  const badMagic = good.slice();
  badMagic[0] = 0x68;
  assertThrows(
    () => new FrameDecoder(1024, "context 3").push(badMagic),
    FrameError,
    "from context 3: bad magic 0x68",
  );
  const badEnc = good.slice();
  badEnc[1] = 0x90;
  assertThrows(() => new FrameDecoder().push(badEnc), FrameError, "unknown encoding 9");
  const badFlags = good.slice();
  badFlags[1] = 0x08;
  assertThrows(() => new FrameDecoder().push(badFlags), FrameError, "unknown flags 0x8");
  const huge = good.slice(0, HEADER_SIZE);
  new DataView(huge.buffer).setUint32(22, 0xffffffff);
  const dec = new FrameDecoder(1024);
  assertThrows(() => dec.push(huge), FrameError, "message of 4294967295 bytes exceeds the maximum of 1024");
  assertThrows(() => dec.push(good), FrameError, "exceeds the maximum");
});

Deno.test("tags: bytes, big ints, integral floats, tuples, odd dicts and errors come back as themselves", () => {
  const value = {
    b: new Uint8Array([0, 255, 10]),
    big: 2n ** 70n,
    f: new PyFloat(2),
    t: tuple<unknown>(1, "x"),
    m: new Map<unknown, unknown>([[1, "one"], [tuple(1, 2), "pair"]]),
    looksLikeTag: { $b: 0 },
    e: new RemoteError({ type: "OSError", message: "nope", traceback: "tb", data: { kind: "x" } }),
    nan: NaN,
  };
  const { body, flags } = encodeBody(value);
  assertEquals(flags, FLAG_TAGS | FLAG_BLOBS);
  const back = decodeBody(body, flags) as typeof value;
  assertEquals(back.b, new Uint8Array([0, 255, 10]));
  assertEquals(back.big, 2n ** 70n);
  assert(back.f instanceof PyFloat && back.f.value === 2);
  assert(back.t instanceof Tuple);
  assertEquals([...back.t], [1, "x"]);
  assertEquals([...(back.m as Map<unknown, unknown>).values()], ["one", "pair"]);
  assertEquals(back.looksLikeTag, { $b: 0 });
  assert(back.e instanceof RemoteError);
  assertEquals([back.e.type, back.e.remoteMessage, back.e.traceback, back.e.data], ["OSError", "nope", "tb", {
    kind: "x",
  }]);
  const nan: unknown = back.nan;
  assert(nan instanceof PyFloat && Number.isNaN(nan.value));
  assertEquals(encodeBody({ a: [1, "x", null, true, 0.5] }).flags, 0);
});

Deno.test("a body without bytes is its bare JSON; bytes add the blob table", () => {
  const plain = encodeBody(["os:getpid", [1, { $b: 0 }]]);
  assertEquals(new TextDecoder().decode(plain.body), '["os:getpid",[1,{"$d":[["$b",0]]}]]');
  assertEquals(plain.flags, FLAG_TAGS);
  const withBytes = encodeBody([new Uint8Array([7])]);
  const json = new TextEncoder().encode('[{"$b":0}]');
  assertEquals([...withBytes.body], [0, 0, 0, json.length, ...json, 0, 0, 0, 1, 0, 0, 0, 1, 7]);
  assertEquals(withBytes.flags, FLAG_TAGS | FLAG_BLOBS);
});

Deno.test("hostile lengths inside a body raise CodecError instead of allocating", () => {
  const cases: [string, number[]][] = [
    ["JSON length 4294967295 exceeds the body", [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]],
    ["blob count 4294967295 exceeds the body", [0, 0, 0, 2, 0x6e, 0x6e, 0xff, 0xff, 0xff, 0xff]],
    ["blob 0 length 4294967295 exceeds the body", [0, 0, 0, 1, 0x31, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]],
    ["trailing bytes", [0, 0, 0, 1, 0x31, 0, 0, 0, 0, 7]],
    ["too short", [0, 0]],
    ["bad JSON", [0, 0, 0, 1, 0x7b, 0, 0, 0, 0]],
  ];
  const blobs = FLAG_TAGS | FLAG_BLOBS;
  for (const [msg, bytes] of cases) {
    assertThrows(() => decodeBody(new Uint8Array(bytes), blobs), CodecError, msg);
  }
  assertThrows(() => decodeBody(new TextEncoder().encode("[1,"), 0), CodecError, "bad JSON");
  // A blob reference with no blob behind it.
  const ref = new TextEncoder().encode('{"$b":0}');
  const body = new Uint8Array([0, 0, 0, ref.length, ...ref, 0, 0, 0, 0]);
  assertThrows(() => decodeBody(body, blobs), CodecError, "bad blob index 0");
  assertThrows(() => decodeBody(ref, FLAG_TAGS), CodecError, "bad blob index 0");
});

/** A string of `n` characters: `unit` repeated (and cut), then a marker so each one is told apart. */
function long(unit: string, n: number, marker: string): string {
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n - marker.length) + marker;
}

const enc = (text: string) => new TextEncoder().encode(text);

/** JSON with every character beyond ASCII escaped, as Python's ensure_ascii writes it. */
function asciiJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, null, indent).replace(
    /[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

Deno.test("long strings, plain or escaped, in any place a string goes, decode to what JSON.parse gives", () => {
  const plain = long("a", LONG_STRING, "<plain>");
  const lines = long('a line of output, with a tab\t and "quotes"\n', 3 * LONG_STRING, "<lines>");
  const unicode = long("héllo wörld ✓ 😀 ", 2 * LONG_STRING, "<unicode>");
  const key = long("k", LONG_STRING, "<key>");
  const value = {
    rc: 0,
    stdout: plain,
    stderr: lines,
    "✓": [unicode, "short", 1.5, null, true],
    [key]: "a long key stays in the text",
    nested: { list: [[lines]] },
  };
  // An ASCII body (the long strings are taken out), spaces around tokens as a hand-written body may have,
  // and the same value as raw UTF-8 (a body beyond ASCII is parsed whole).
  for (const json of [asciiJson(value), asciiJson(value, 2), JSON.stringify(value)]) {
    assertEquals(decodeBody(enc(json), 0), value);
    assertEquals(decodeBody(enc(json), FLAG_TAGS), value);
  }
  // Inside tags: a tuple, a dict with a long non-string-keyed value, an error's texts, beside blobs.
  const tagged = encodeBody([
    tuple<unknown>(plain, 2),
    new Map<unknown, unknown>([[1, lines], [plain, "long key of a $d pair"]]),
    new RemoteError({ type: "OSError", message: plain, traceback: lines }),
    new Uint8Array([1, 2, 3]),
  ]);
  const back = decodeBody(tagged.body, tagged.flags) as unknown[];
  assertEquals(back[0], tuple<unknown>(plain, 2));
  assert(back[0] instanceof Tuple);
  assertEquals(back[1], new Map<unknown, unknown>([[1, lines], [plain, "long key of a $d pair"]]));
  const err = back[2] as RemoteError;
  assertEquals([err.type, err.remoteMessage, err.traceback], ["OSError", plain, lines]);
  assertEquals(back[3], new Uint8Array([1, 2, 3]));
});

Deno.test("a long string is told from the decoder's own placeholders and from tags it must not read", () => {
  const plain = long("x", LONG_STRING, "<1>");
  // Untagged: a tag-shaped object stays an object; only the long string is taken out.
  assertEquals(decodeBody(enc(JSON.stringify([plain, { $i: "5" }])), 0), [plain, { $i: "5" }]);
  // Tagged, no long string: "$s" is no tag of the wire.
  assertThrows(() => decodeBody(enc('[{"$s":0}]'), FLAG_TAGS), CodecError, 'unknown tag "$s"');
  // A peer that writes the placeholder itself gets a string it sent, or an error for a missing one.
  assertEquals(decodeBody(enc(`["${plain}",{"$s":0}]`), FLAG_TAGS), [plain, plain]);
  assertThrows(
    () => decodeBody(enc(`["${plain}",{"$s":1}]`), FLAG_TAGS),
    CodecError,
    "bad long string index 1",
  );
  // Bad JSON around or inside long strings is still refused.
  assertThrows(() => decodeBody(enc(`["${plain}",]`), 0), CodecError, "bad JSON");
  assertThrows(() => decodeBody(enc(`["${plain}\\q"]`), 0), CodecError, "bad JSON");
  assertThrows(() => decodeBody(enc(`["${plain}`), 0), CodecError, "bad JSON");
});

Deno.test("a long string is parsed with the rest when it is not most of the body", () => {
  const plain = long("y", LONG_STRING, "<y>");
  const value = { s: plain, n: Array.from({ length: 40_000 }, (_, i) => i) };
  assertEquals(decodeBody(enc(JSON.stringify(value)), 0), value);
});

Deno.test("long strings Python writes (escapes its own way) come back as themselves", async () => {
  const value = [
    long('line\n\ttab "q" \\ back\u0001ctl\u007f', 2 * LONG_STRING, "<py1>"),
    long("ünïcödé ✓ 😀 ", LONG_STRING, "<py2>"),
    { key: long("z", LONG_STRING, "<py3>") },
  ];
  const [back] = await pythonEcho([encodeFrame(structuredFrame({ dst: 1, src: 0, handle: 1 }, value))]);
  assertEquals(decodeBody(back.body, back.flags), value);
});

Deno.test("TS-encoded messages decode in Python and come back byte for byte (500 random values)", async () => {
  const r = rng(20261124);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 500; i++) {
    frames.push(
      encodeFrame(structuredFrame({ dst: i, src: 0, handle: 1, replyTo: 1000 + i }, genValue(r, 0))),
    );
  }
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 255);
  frames.push(encodeFrame(structuredFrame({ dst: 9, src: 0, handle: 10 }, [big, "tail"])));
  const back = await pythonEcho(frames);
  assertEquals(back.length, frames.length);
  for (let i = 0; i < frames.length; i++) {
    const again = encodeFrame(back[i]);
    if (again.length !== frames[i].length || !again.every((b, j) => b === frames[i][j])) {
      throw new Error(
        `frame ${i} differs:\n  ts: ${new TextDecoder().decode(frames[i].subarray(32, 400))}\n  py: ${
          new TextDecoder().decode(again.subarray(32, 400))
        }`,
      );
    }
  }
  assertEquals((decodeBody(back[500].body, back[500].flags) as [Uint8Array, string])[0].length, big.length);
});

Deno.test("Python refuses the same hostile bodies, and values outside the byte-exact set still round-trip", async () => {
  const hostile = [
    [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
    [0, 0, 0, 2, 0x6e, 0x6e, 0xff, 0xff, 0xff, 0xff],
    [0, 0, 0, 1, 0x31, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff],
  ].map((b) => {
    const f = structuredFrame({ dst: 1, src: 0, handle: 1 }, null);
    return encodeFrame({ ...f, flags: FLAG_BLOBS, body: new Uint8Array(b) });
  });
  const odd = { small: 1e-7, tiny: 1.5e-5, lone: "a\ud800b", "2": "x", "1": "y" };
  const back = await pythonEcho([
    ...hostile,
    encodeFrame(structuredFrame({ dst: 1, src: 0, handle: 1 }, odd)),
  ]);
  assertEquals(
    back.slice(0, 3).map((f) => [f.flags & 1, new TextDecoder().decode(f.body)]),
    [
      [1, "JSON length 4294967295 exceeds the body (8 bytes)"],
      [1, "blob count 4294967295 exceeds the body"],
      [1, "blob 0 length 4294967295 exceeds the body"],
    ],
  );
  assertEquals(decodeBody(back[3].body, back[3].flags), odd);
});
