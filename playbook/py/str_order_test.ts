import { assertEquals } from "../../tests/_assert.ts";
import { pyStrCompare } from "./str_order.ts";

Deno.test("strings sort by code point, as Python's sorted() does", () => {
  // sorted(['b', 'B', 'é', '😀', '\uffef', 'a😀', 'a\uffef', '', 'ab', 'a']) in Python 3.11
  assertEquals(
    ["b", "B", "é", "😀", "\uffef", "a😀", "a\uffef", "", "ab", "a"].sort(pyStrCompare),
    ["", "B", "a", "ab", "a\uffef", "a😀", "b", "é", "\uffef", "😀"],
  );
});
