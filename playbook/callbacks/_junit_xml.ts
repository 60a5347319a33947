// The JUnit XML document the junit callback writes, spelled as ansible-core's writer spells it: an
// ElementTree serialised and pretty-printed again by minidom (tabs, `<x/>` when empty, a lone text inline,
// `"` escaped in text too, newlines kept raw in attributes) and its times as Python writes them (a case's
// float repr, a suite's exact Decimal of the summed floats, the whole run's rounded to 28 digits).
import { floatRepr } from "../py/repr.ts";

export interface JunitCase {
  name: string;
  classname: string;
  /** Seconds. */
  time: number;
  /** `<skipped>`'s text; an empty one is no skip. */
  skipped?: string;
  /** A failure or an error: its message attribute (undefined: none) and its text. */
  problem?: { tag: "failure" | "error"; message?: string; output: string };
  systemOut?: string;
}

interface Node {
  tag: string;
  attrs: [string, string][];
  text?: string;
  children: Node[];
}

/** minidom's escaping, the same for text and attribute values. */
function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;").replace(/>/g, "&gt;");
}

/**
 * Text as it comes back from ElementTree's output through the XML parser: a line end in text is one
 * `\n` (attributes were written with character references, so theirs survive as they were).
 */
function parsedText(s: string): string {
  return s.replace(/\r\n?/g, "\n");
}

function write(n: Node, indent: string, out: string[]): void {
  out.push(`${indent}<${n.tag}`);
  for (const [k, v] of n.attrs) out.push(` ${k}="${escape(v)}"`);
  if (n.text) out.push(`>${escape(parsedText(n.text))}</${n.tag}>\n`);
  else if (n.children.length) {
    out.push(">\n");
    for (const c of n.children) write(c, indent + "\t", out);
    out.push(`${indent}</${n.tag}>\n`);
  } else out.push("/>\n");
}

function caseNode(c: JunitCase): Node {
  const children: Node[] = [];
  if (c.skipped) children.push({ tag: "skipped", attrs: [], text: c.skipped, children: [] });
  if (c.problem) {
    const attrs: [string, string][] = [];
    if (c.problem.message !== undefined) attrs.push(["message", c.problem.message]);
    attrs.push(["type", c.problem.tag]);
    children.push({ tag: c.problem.tag, attrs, text: c.problem.output, children: [] });
  }
  if (c.systemOut) children.push({ tag: "system-out", attrs: [], text: c.systemOut, children: [] });
  return {
    tag: "testcase",
    attrs: [["classname", c.classname], ["name", c.name], ["time", floatRepr(c.time)]],
    children,
  };
}

/** The report of one suite (named after the playbook) holding every case. */
export function junitReport(suiteName: string, cases: JunitCase[]): string {
  const count = (f: (c: JunitCase) => boolean) => String(cases.filter(f).length);
  const errors = count((c) => c.problem?.tag === "error");
  const failures = count((c) => c.problem?.tag === "failure");
  // Python's sum() of the case times, in order, skipping zero ones as the writer does.
  let total = 0;
  let any = false;
  for (const c of cases) {
    if (c.time) {
      total += c.time;
      any = true;
    }
  }
  const suiteTime = any ? decimalOfFloat(total) : "0";
  const suite: Node = {
    tag: "testsuite",
    attrs: [
      ["disabled", "0"],
      ["errors", errors],
      ["failures", failures],
      ["name", suiteName],
      ["skipped", count((c) => !!c.skipped)],
      ["tests", String(cases.length)],
      ["time", suiteTime],
    ],
    children: cases.map(caseNode),
  };
  const root: Node = {
    tag: "testsuites",
    attrs: [
      ["disabled", "0"],
      ["errors", errors],
      ["failures", failures],
      ["tests", String(cases.length)],
      ["time", roundDecimal(suiteTime, 28)],
    ],
    children: [suite],
  };
  const out = ['<?xml version="1.0" ?>\n'];
  write(root, "", out);
  return out.join("");
}

/** A decimal number: its digits and the power of ten of the last one. */
interface Dec {
  negative: boolean;
  digits: string;
  exp: number;
}

/** Decimal(x) for a float: its exact value, every digit of it. */
export function decimalOfFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`no exact decimal for ${x}`);
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let exp2: number;
  if (biased === 0) exp2 = -1074;
  else {
    mant |= 1n << 52n;
    exp2 = biased - 1075;
  }
  while (exp2 < 0 && (mant & 1n) === 0n) {
    mant >>= 1n;
    exp2++;
  }
  if (exp2 >= 0) return decimalText({ negative, digits: (mant << BigInt(exp2)).toString(), exp: 0 });
  return decimalText({ negative, digits: (mant * 5n ** BigInt(-exp2)).toString(), exp: exp2 });
}

/** Decimal's str(): plain digits unless the number is below 1e-6 (or has a positive exponent). */
function decimalText(d: Dec): string {
  const sign = d.negative ? "-" : "";
  const adjusted = d.exp + d.digits.length - 1;
  if (d.exp <= 0 && adjusted >= -6) {
    if (d.exp === 0) return sign + d.digits;
    const point = d.digits.length + d.exp;
    return point > 0
      ? `${sign}${d.digits.slice(0, point)}.${d.digits.slice(point)}`
      : `${sign}0.${"0".repeat(-point)}${d.digits}`;
  }
  const rest = d.digits.length > 1 ? `.${d.digits.slice(1)}` : "";
  return `${sign}${d.digits[0]}${rest}E${adjusted < 0 ? "-" : "+"}${Math.abs(adjusted)}`;
}

function parseDecimal(text: string): Dec {
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:E([+-]\d+))?$/.exec(text);
  if (!m) throw new RangeError(`not a decimal: ${text}`);
  const frac = m[3] ?? "";
  const digits = (m[2] + frac).replace(/^0+(?=\d)/, "");
  return { negative: m[1] === "-", digits, exp: Number(m[4] ?? 0) - frac.length };
}

/** A decimal added to 0 under Python's default context: at most `precision` digits, half to even. */
export function roundDecimal(text: string, precision: number): string {
  const d = parseDecimal(text);
  if (d.digits.length <= precision) return decimalText(d);
  const drop = d.digits.length - precision;
  let kept = BigInt(d.digits.slice(0, precision));
  const rest = d.digits.slice(precision);
  const half = "5" + "0".repeat(drop - 1);
  const cmp = rest === half ? 0 : rest > half ? 1 : -1;
  if (cmp > 0 || (cmp === 0 && kept % 2n === 1n)) kept += 1n;
  let digits = kept.toString();
  let exp = d.exp + drop;
  // 999… rounded up gains a digit: the context keeps `precision` of them.
  if (digits.length > precision) {
    digits = digits.slice(0, precision);
    exp++;
  }
  return decimalText({ negative: d.negative, digits, exp });
}
