// Outcomes checked against /usr/bin/python3: text.encode(encoding) and str() of the exception it raises.
import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { PyCodecError, pyEncode } from "./codecs.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("pyEncode writes the bytes Python's codecs write, under their names and aliases", () => {
  const cases: [string, string, string][] = [
    ["utf-16", "aé😀", "fffe6100e9003dd800de"],
    ["UTF-16-LE", "aé", "6100e900"],
    ["utf_16be", "a", "0061"],
    ["utf_32_be", "a😀", "000000610001f600"],
    ["utf32", "a", "fffe000061000000"],
    ["latin1", "aé", "61e9"],
    ["ISO-8859-1", "aÿ", "61ff"],
    ["windows-1252", "a€é", "6180e9"],
    ["cp1252", "‚ž", "829e"],
    ["ascii", "ab", "6162"],
    ["utf-8", "é", "c3a9"],
    ["UTF8", "€", "e282ac"],
  ];
  for (const [enc, text, bytes] of cases) assertEquals([enc, hex(pyEncode(text, enc))], [enc, bytes]);
});

Deno.test("pyEncode fails as Python does: unknown codec, characters the codec lacks", () => {
  const cases: [string, string, string, string][] = [
    ["nope", "x", "LookupError", "unknown encoding: nope"],
    [
      "ascii",
      "abé",
      "UnicodeEncodeError",
      "'ascii' codec can't encode character '\\xe9' in position 2: ordinal not in range(128)",
    ],
    [
      "latin-1",
      "a\u0101",
      "UnicodeEncodeError",
      "'latin-1' codec can't encode character '\\u0101' in position 1: ordinal not in range(256)",
    ],
    [
      "cp1252",
      "a\u0081",
      "UnicodeEncodeError",
      "'charmap' codec can't encode character '\\x81' in position 1: character maps to <undefined>",
    ],
    [
      "ascii",
      "😀",
      "UnicodeEncodeError",
      "'ascii' codec can't encode character '\\U0001f600' in position 0: ordinal not in range(128)",
    ],
  ];
  for (const [enc, text, cls, msg] of cases) {
    const e = assertThrows(() => pyEncode(text, enc), PyCodecError) as PyCodecError;
    assertEquals([e.pyClass, e.message], [cls, msg]);
  }
});
