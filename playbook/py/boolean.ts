// Ansible's one rule for reading a value as a boolean (ansible.module_utils.parsing.convert_bool.boolean),
// and the `bool` filter's narrower word list, as options of one function so no caller keeps its own set.
import { PyFloat, WrappedString } from "../../core/codec.ts";

/** The words (after lower() and strip()) and numbers Ansible's boolean() reads as true. */
const TRUE_WORDS = new Set(["y", "yes", "on", "1", "true", "t"]);
const FALSE_WORDS = new Set(["n", "no", "off", "0", "false", "f"]);
/** The `bool` filter (to_bool) knows fewer true words and does not strip: ' yes' is false there. */
const FILTER_TRUE_WORDS = new Set(["yes", "on", "1", "true"]);

/** A value strict boolean() refuses, with the value as given. */
export class NotABooleanError extends Error {
  override name = "NotABooleanError";
  constructor(readonly value: unknown) {
    super(`The value '${describe(value)}' is not a valid boolean.`);
  }

  /**
   * Ansible's full TypeError text, with the valid values listed. Ansible lists a Python set, whose
   * order changes from run to run with the string hash seed: this is its order under PYTHONHASHSEED=0.
   */
  get ansibleText(): string {
    return `${this.message}  Valid booleans include: ${VALID_LISTED}`;
  }
}

const VALID_LISTED = "0, 'y', 'true', 1, 'f', 'n', 'off', 't', '0', 'no', 'false', '1', 'on', 'yes'";

function describe(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v instanceof WrappedString) return v.value;
  if (typeof v === "object") return JSON.stringify(v) ?? String(v);
  return String(v);
}

export interface BooleanOptions {
  /**
   * Ansible's strict=True (the default): anything that is neither a true nor a false value throws
   * NotABooleanError. Not strict: anything that is not a true value is false.
   */
  strict?: boolean;
  /**
   * "boolean" (the default): Ansible's boolean() words, case-folded and stripped. "filter": the `bool`
   * filter's, case-folded only, with yes/on/1/true as the only true words (never strict).
   */
  words?: "boolean" | "filter";
}

/** The number a bool-like number stands for, when it is one (1, 1.0, 1n …); undefined otherwise. */
function numeric(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "bigint") return v === 0n ? 0 : v === 1n ? 1 : 2;
  return undefined;
}

/**
 * `v` as a boolean the way Ansible reads one: true/false as they are; y/yes/on/1/true/t and 1 (or 1.0) are
 * true; n/no/off/0/false/f and 0 are false; strings compare case-folded and stripped of whitespace.
 * Unsafe and vaulted strings count as their text.
 */
export function boolean(v: unknown, opts: BooleanOptions = {}): boolean {
  if (typeof v === "boolean") return v;
  const text = v instanceof WrappedString ? v.value : v;
  const filter = opts.words === "filter";
  if (typeof text === "string") {
    const word = filter ? text.toLowerCase() : text.toLowerCase().trim();
    if ((filter ? FILTER_TRUE_WORDS : TRUE_WORDS).has(word)) return true;
    if (filter || FALSE_WORDS.has(word)) return false;
  } else {
    const n = numeric(text);
    if (n === 1) return true;
    if (n === 0 || filter) return false;
  }
  if (opts.strict === false) return false;
  throw new NotABooleanError(v);
}
