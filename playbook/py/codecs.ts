// Python's str.encode(encoding) (strict errors) for the codecs a user names in Ansible (the template
// action's output_encoding): the UTF family, Latin-1, ASCII and Windows-1252, under Python's names and
// aliases, failing with Python's own messages.

/** A Python exception of encoding: `pyClass` as type(e) names it, the message its str(). */
export class PyCodecError extends Error {
  constructor(readonly pyClass: "LookupError" | "UnicodeEncodeError", message: string) {
    super(message);
    this.name = "PyCodecError";
  }
}

type Codec =
  | { k: "utf8" }
  | { k: "utf"; unit: 2 | 4; le: boolean; bom: boolean }
  | { k: "limit"; max: number; name: string }
  | { k: "charmap"; table: Map<number, number> };

/** Python's codec names after its normalisation (lower case, `-` and spaces as `_`), aliases included. */
const NAMES: Record<string, string> = {
  utf_8: "utf_8",
  utf8: "utf_8",
  u8: "utf_8",
  utf: "utf_8",
  utf8_ucs2: "utf_8",
  utf8_ucs4: "utf_8",
  cp65001: "utf_8",
  utf_16: "utf_16",
  utf16: "utf_16",
  u16: "utf_16",
  utf_16_le: "utf_16_le",
  utf_16le: "utf_16_le",
  utf_16_be: "utf_16_be",
  utf_16be: "utf_16_be",
  utf_32: "utf_32",
  utf32: "utf_32",
  u32: "utf_32",
  utf_32_le: "utf_32_le",
  utf_32le: "utf_32_le",
  utf_32_be: "utf_32_be",
  utf_32be: "utf_32_be",
  latin_1: "latin_1",
  latin1: "latin_1",
  latin: "latin_1",
  l1: "latin_1",
  iso_8859_1: "latin_1",
  iso8859_1: "latin_1",
  iso_ir_100: "latin_1",
  "8859": "latin_1",
  cp819: "latin_1",
  ascii: "ascii",
  us_ascii: "ascii",
  us: "ascii",
  "646": "ascii",
  "ansi_x3.4_1968": "ascii",
  cp1252: "cp1252",
  windows_1252: "cp1252",
  "1252": "cp1252",
};

let cp1252: Map<number, number> | undefined;

/** Windows-1252 as Python has it: the WHATWG table without the five bytes Python leaves undefined. */
function cp1252Table(): Map<number, number> {
  if (cp1252) return cp1252;
  const undefinedInPython = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);
  const decoder = new TextDecoder("windows-1252");
  cp1252 = new Map();
  for (let b = 0; b < 256; b++) {
    if (!undefinedInPython.has(b)) cp1252.set(decoder.decode(new Uint8Array([b])).codePointAt(0)!, b);
  }
  return cp1252;
}

function codec(encoding: string): Codec {
  const name = NAMES[encoding.trim().toLowerCase().replace(/[- ]/g, "_")];
  switch (name) {
    case "utf_8":
      return { k: "utf8" };
    case "utf_16":
    case "utf_32":
      // Python writes a byte order mark and the machine's order: little-endian on every target here
      return { k: "utf", unit: name === "utf_16" ? 2 : 4, le: true, bom: true };
    case "utf_16_le":
    case "utf_16_be":
    case "utf_32_le":
    case "utf_32_be":
      return { k: "utf", unit: name.startsWith("utf_16") ? 2 : 4, le: name.endsWith("le"), bom: false };
    case "latin_1":
      return { k: "limit", max: 0xff, name: "latin-1" };
    case "ascii":
      return { k: "limit", max: 0x7f, name: "ascii" };
    case "cp1252":
      return { k: "charmap", table: cp1252Table() };
  }
  throw new PyCodecError("LookupError", `unknown encoding: ${encoding}`);
}

/** Python's `\xe9`, `\u0101`, `\U0001f600` for a character in an error message. */
function charEscape(cp: number): string {
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\U${cp.toString(16).padStart(8, "0")}`;
}

/** `text.encode(encoding)` as Python does it with strict errors. */
export function pyEncode(text: string, encoding: string): Uint8Array {
  const c = codec(encoding);
  if (c.k === "utf8") return new TextEncoder().encode(text);
  const cps = Array.from(text, (ch) => ch.codePointAt(0)!);
  if (c.k === "utf") {
    const unit = c.unit;
    const units: number[] = [];
    if (c.bom) units.push(0xfeff);
    if (unit === 4) units.push(...cps);
    else for (let i = 0; i < text.length; i++) units.push(text.charCodeAt(i));
    const out = new Uint8Array(units.length * unit);
    const view = new DataView(out.buffer);
    units.forEach((u, i) => unit === 2 ? view.setUint16(i * 2, u, c.le) : view.setUint32(i * 4, u, c.le));
    return out;
  }
  const out = new Uint8Array(cps.length);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i];
    const b = c.k === "limit" ? (cp <= c.max ? cp : undefined) : c.table.get(cp);
    if (b === undefined) {
      const [codecName, why] = c.k === "limit"
        ? [c.name, `ordinal not in range(${c.max + 1})`]
        : ["charmap", "character maps to <undefined>"];
      throw new PyCodecError(
        "UnicodeEncodeError",
        `'${codecName}' codec can't encode character '${charEscape(cp)}' in position ${i}: ${why}`,
      );
    }
    out[i] = b;
  }
  return out;
}
