// Outcomes checked against /usr/bin/python3 with ansible-core 2.14: convert_bool.boolean(v),
// boolean(v, strict=False) and the core filter to_bool(v).
import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { PyFloat } from "../../core/codec.ts";
import { UnsafeString } from "../values.ts";
import { boolean, NotABooleanError } from "./boolean.ts";

const REFUSED = "refused";
// value → [strict, not strict, bool filter]
const CASES: [unknown, boolean | typeof REFUSED, boolean, boolean][] = [
  ["yes", true, true, true],
  [" YES ", true, true, false],
  ["Yes\n", true, true, false],
  ["y", true, true, false],
  ["t", true, true, false],
  ["T", true, true, false],
  ["on", true, true, true],
  ["1", true, true, true],
  ["true", true, true, true],
  ["no", false, false, false],
  ["off", false, false, false],
  ["0", false, false, false],
  ["f", false, false, false],
  ["n", false, false, false],
  ["", REFUSED, false, false],
  [" ", REFUSED, false, false],
  ["maybe", REFUSED, false, false],
  ["1.0", REFUSED, false, false],
  [1, true, true, true],
  [0, false, false, false],
  [new PyFloat(1), true, true, true],
  [new PyFloat(0), false, false, false],
  [1n, true, true, true],
  [2, REFUSED, false, false],
  [-1, REFUSED, false, false],
  [null, REFUSED, false, false],
  [true, true, true, true],
  [false, false, false, false],
];

Deno.test("boolean() reads each value as Ansible's boolean(), boolean(strict=False) and to_bool do", () => {
  for (const [v, strict, lenient, filter] of CASES) {
    if (strict === REFUSED) assertThrows(() => boolean(v), NotABooleanError);
    else assertEquals(boolean(v), strict, `strict ${String(v)}`);
    assertEquals(boolean(v, { strict: false }), lenient, `lenient ${String(v)}`);
    assertEquals(boolean(v, { words: "filter" }), filter, `filter ${String(v)}`);
  }
});

Deno.test("an unsafe string is read as its text", () => {
  assertEquals(boolean(new UnsafeString(" On ")), true);
  assertEquals(boolean(new UnsafeString("off")), false);
});

Deno.test("not strict, lists and dicts are false (Ansible's set lookup raises on them instead)", () => {
  assertEquals(boolean([1], { strict: false }), false);
  assertEquals(boolean({}, { strict: false }), false);
  assertEquals(boolean([1], { words: "filter" }), false);
});

Deno.test("the refusal names the value", () => {
  const e = assertThrows(() => boolean("maybe"), NotABooleanError);
  assertEquals(e.message, "The value 'maybe' is not a valid boolean.");
  assertEquals((e as NotABooleanError).value, "maybe");
});
