// Expected values are what /usr/bin/python3 (3.11) gives for int(text, base).
import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { IntParseError, pyInt } from "./int_parse.ts";

Deno.test("pyInt reads text as Python's int(text, base) does", () => {
  const cases: [string, number, number | bigint][] = [
    ["4", 0, 4],
    [" -0x1F ", 0, -31],
    ["0o17", 0, 15],
    ["0b101", 0, 5],
    ["00", 0, 0],
    ["0_0", 0, 0],
    ["1_000", 0, 1000],
    ["0x_1f", 0, 31],
    ["-0", 0, 0],
    ["ff", 16, 255],
    ["0xff", 16, 255],
    // under base 16 "0b" is no prefix but two hex digits
    ["0b1", 16, 177],
    ["0o17", 8, 15],
    ["z", 36, 35],
    ["+7", 10, 7],
    ["12345678901234567890", 10, 12345678901234567890n],
  ];
  for (const [text, base, want] of cases) assertEquals(pyInt(text, base), want, `int(${text}, ${base})`);
});

Deno.test("pyInt refuses what int() refuses, with Python's ValueError message", () => {
  const cases: [string, number, string][] = [
    ["017", 0, "invalid literal for int() with base 0: '017'"],
    ["1__0", 0, "invalid literal for int() with base 0: '1__0'"],
    ["_1", 0, "invalid literal for int() with base 0: '_1'"],
    ["1_", 0, "invalid literal for int() with base 0: '1_'"],
    ["0x", 0, "invalid literal for int() with base 0: '0x'"],
    ["A", 0, "invalid literal for int() with base 0: 'A'"],
    ["9", 8, "invalid literal for int() with base 8: '9'"],
    ["", 10, "invalid literal for int() with base 10: ''"],
  ];
  for (const [text, base, msg] of cases) assertThrows(() => pyInt(text, base), IntParseError, msg);
});
