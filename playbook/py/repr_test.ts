// Expected texts are what /usr/bin/python3 (3.11) prints with repr() for the same values.
import { assertEquals } from "../../tests/_assert.ts";
import { PyFloat, tuple } from "../../core/codec.ts";
import { UnsafeString } from "../values.ts";
import { floatRepr, intRepr, pyRepr, pyStr, strRepr } from "./repr.ts";

Deno.test("strRepr quotes and escapes a str as Python's repr() does", () => {
  const cases: [string, string][] = [
    ["plain", String.raw`'plain'`],
    ["it's", String.raw`"it's"`],
    ['say "hi"', String.raw`'say "hi"'`],
    [`both ' "`, String.raw`'both \' "'`],
    ["back\\slash", String.raw`'back\\slash'`],
    ["tab\tnl\ncr\r", String.raw`'tab\tnl\ncr\r'`],
    ["\x00\x1b\x7f", String.raw`'\x00\x1b\x7f'`],
    // C1 controls: one of the two former copies printed them raw
    ["\x80\x85\x9f", String.raw`'\x80\x85\x9f'`],
    // no-break space (Zs) and soft hyphen (Cf) are not printable; é is
    ["\xa0\xad\xe9", String.raw`'\xa0\xadé'`],
    ["\u200b\u2028\u3000\ue000\uffff", String.raw`'\u200b\u2028\u3000\ue000\uffff'`],
    ["\u{1f600}\u{e0001}", String.raw`'😀\U000e0001'`],
    [" ", "' '"],
  ];
  for (const [s, want] of cases) assertEquals(strRepr(s), want, JSON.stringify(s));
});

Deno.test("floatRepr and intRepr print numbers as Python does", () => {
  const floats: [number, string][] = [
    [1e16, "1e+16"],
    [9999999999999998, "9999999999999998.0"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e22, "1e+22"],
    [-0, "-0.0"],
    [2.5e-7, "2.5e-07"],
    [2 ** 53, "9007199254740992.0"],
    [1.5, "1.5"],
    [NaN, "nan"],
    [-Infinity, "-inf"],
  ];
  for (const [n, want] of floats) assertEquals(floatRepr(n), want, String(n));
  assertEquals(intRepr(1e21), "1000000000000000000000");
  assertEquals(intRepr(-(10n ** 25n)), "-10000000000000000000000000");
});

Deno.test("pyRepr prints the value model: None, bools, ints, floats, lists, tuples, dicts", () => {
  assertEquals(
    pyRepr({ k: [1, tuple(2), tuple(), tuple(1, 2), null, true, new PyFloat(1)] }),
    "{'k': [1, (2,), (), (1, 2), None, True, 1.0]}",
  );
  assertEquals(pyRepr(new UnsafeString("x'")), `"x'"`);
  assertEquals(pyRepr(undefined), "None");
});

Deno.test("a hook speaks for values outside the model, nested ones too", () => {
  class Thing {}
  const hook = (v: unknown) => v instanceof Thing ? "<Thing>" : undefined;
  assertEquals(pyRepr([new Thing(), { a: new Thing() }], hook), "[<Thing>, {'a': <Thing>}]");
});

Deno.test("pyStr: a str as it is (unsafe too), anything else as repr(), as a dict key prints", () => {
  assertEquals(pyStr("a'b"), "a'b");
  assertEquals(pyStr(new UnsafeString("u")), "u");
  assertEquals(pyStr(null), "None");
  assertEquals(pyStr(true), "True");
  assertEquals(pyStr(new PyFloat(1e16)), "1e+16");
  assertEquals(pyStr(Infinity), "inf");
  assertEquals(pyStr(2.5), "2.5");
  assertEquals(pyStr(["x"]), "['x']");
});
