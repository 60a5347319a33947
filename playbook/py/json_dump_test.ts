// Expected texts are what /usr/bin/python3 (3.11) prints with json.dumps for the same values.
import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { PyFloat } from "../../core/codec.ts";
import { UnsafeString, VaultString } from "../values.ts";
import { JsonDumpError, jsonDumps } from "./json_dump.ts";

Deno.test("json.dumps(sort_keys=True): code point key order, repr() floats, NaN/Infinity, every int digit", () => {
  const v = {
    b: [1, 2.5, new PyFloat(1)],
    a: 'é\x7f\x1b"\\',
    "😀": 1,
    "\uffef": 2,
    n: NaN,
    i: -Infinity,
    big: 10n ** 21n,
    f: 1e-7,
  };
  assertEquals(
    jsonDumps(v, { sortKeys: true }),
    String
      .raw`{"a": "\u00e9\u007f\u001b\"\\", "b": [1, 2.5, 1.0], "big": 1000000000000000000000, "f": 1e-07, "i": -Infinity, "n": NaN, "\uffef": 2, "\ud83d\ude00": 1}`,
  );
});

Deno.test("indent and ensure_ascii=False: one item a line, (',', ': '), text as it is but controls", () => {
  assertEquals(
    jsonDumps({ b: [1, {}], a: "é😀\x7f" }, { sortKeys: true, indent: 2, ensureAscii: false }),
    '{\n  "a": "é😀\x7f",\n  "b": [\n    1,\n    {}\n  ]\n}',
  );
  assertEquals(jsonDumps({ x: [1, 2] }, { separators: [",", ":"] }), '{"x":[1,2]}');
  assertEquals(jsonDumps({ x: [] }, { indent: 0 }), '{\n"x": []\n}');
});

Deno.test("unsafe strings are text; vaulted ones their ciphertext unless vault_to_text", () => {
  const vault = new VaultString("$ANSIBLE_VAULT;1.1;AES256\n6162", "t", () => "secret");
  assertEquals(
    jsonDumps({ u: new UnsafeString("x"), v: vault }),
    String.raw`{"u": "x", "v": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n6162"}}`,
  );
  assertEquals(jsonDumps({ v: vault }, { vault: "text" }), '{"v": "secret"}');
});

Deno.test("a value outside the model goes through represent, or is refused", () => {
  assertEquals(jsonDumps(new Set([1]), { represent: (x) => x instanceof Set ? [...x] : x }), "[1]");
  assertThrows(() => jsonDumps(new Set([1])), JsonDumpError, "is not JSON serializable");
});
