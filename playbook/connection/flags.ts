// Parsers for become_flags/sudo_flags: which sudo(8), su(1) and doas(1) options mito forwards to the
// become hop, which it drops because its PTY-based become already does their job, and which it refuses.

const QUOTING = /['"\\]/;
const SPACES = /\s+/;

/** A become flag mito cannot honour, with the offending flag. */
export class BecomeFlagError extends Error {
  constructor(readonly method: string, readonly flag: string, why: string) {
    super(`${method} flag '${flag}' in become_flags is not supported: ${why}`);
    this.name = "BecomeFlagError";
  }
}

/** Splits a command line the way Python's shlex.split does for the common cases (quotes, escapes). */
export function shellSplit(text: string): string[] {
  // Words without quotes or escapes (ssh_args and the like, split for every task's connection plan): the
  // runs of non-space characters, found natively; the loop below cost ~0.2 ms for such a line until the
  // JIT warmed up.
  if (!QUOTING.test(text)) return text.split(SPACES).filter((w) => w !== "");
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in '${text}'`);
  if (inWord) out.push(cur);
  return out;
}

/** The flags a become plugin of Ansible uses when none are set: sudo's `-H -S -n`, none for the others. */
export function defaultBecomeFlags(method: string): string {
  return method === "sudo" ? "-H -S -n" : "";
}

export interface ParsedBecomeFlags {
  /** Arguments forwarded to the become program, before the user option mito adds itself. */
  args: string[];
  /** Flags accepted but not forwarded, with the reason (shown at -vvv). */
  dropped: { flag: string; why: string }[];
}

type Rule =
  | { kind: "forward"; arg?: boolean; short?: string }
  | { kind: "drop"; why: string }
  | { kind: "refuse"; why: string };

const PTY = "mito types the password on the PTY it allocates";
const NO_COMMAND = "it runs no command";
const SUDO: Record<string, Rule> = {
  "-H": { kind: "forward" },
  "--set-home": { kind: "forward", short: "-H" },
  "-E": { kind: "forward" },
  "--preserve-env": { kind: "forward", short: "-E" },
  "-P": { kind: "forward" },
  "--preserve-groups": { kind: "forward", short: "-P" },
  "-k": { kind: "forward" },
  "--reset-timestamp": { kind: "forward", short: "-k" },
  // A (login) shell runs the interpreter's command line for the target user; that still works.
  "-i": { kind: "forward" },
  "--login": { kind: "forward", short: "-i" },
  "-s": { kind: "forward" },
  "--shell": { kind: "forward", short: "-s" },
  "-g": { kind: "forward", arg: true },
  "--group": { kind: "forward", arg: true, short: "-g" },
  "-r": { kind: "forward", arg: true },
  "--role": { kind: "forward", arg: true, short: "-r" },
  "-t": { kind: "forward", arg: true },
  "--type": { kind: "forward", arg: true, short: "-t" },
  "-C": { kind: "forward", arg: true },
  "--close-from": { kind: "forward", arg: true, short: "-C" },
  "-S": { kind: "drop", why: PTY },
  "--stdin": { kind: "drop", why: PTY },
  "-A": { kind: "refuse", why: "an askpass helper cannot be driven; mito types the password itself" },
  "--askpass": { kind: "refuse", why: "an askpass helper cannot be driven; mito types the password itself" },
  "-u": { kind: "refuse", why: "the user comes from become_user" },
  "--user": { kind: "refuse", why: "the user comes from become_user" },
  "-b": { kind: "refuse", why: "a backgrounded interpreter cannot be talked to" },
  "--background": { kind: "refuse", why: "a backgrounded interpreter cannot be talked to" },
  "-l": { kind: "refuse", why: NO_COMMAND },
  "-v": { kind: "refuse", why: NO_COMMAND },
  "-e": { kind: "refuse", why: NO_COMMAND },
  "-K": { kind: "refuse", why: NO_COMMAND },
  "-V": { kind: "refuse", why: NO_COMMAND },
};

const SU: Record<string, Rule> = {
  "-m": { kind: "forward" },
  "-p": { kind: "forward" },
  "--preserve-environment": { kind: "forward" },
  // su runs the interpreter's command line with the user's (login) shell either way.
  "-": { kind: "forward" },
  "-l": { kind: "forward" },
  "--login": { kind: "forward" },
  "-g": { kind: "forward", arg: true },
  "--group": { kind: "forward", arg: true },
  "-G": { kind: "forward", arg: true },
  "--supp-group": { kind: "forward", arg: true },
  "-c": { kind: "refuse", why: "mito supplies the command itself" },
  "--command": { kind: "refuse", why: "mito supplies the command itself" },
  "-s": { kind: "refuse", why: "mito chooses the shell that starts its interpreter" },
  "--shell": { kind: "refuse", why: "mito chooses the shell that starts its interpreter" },
};

const DOAS: Record<string, Rule> = {
  "-L": { kind: "refuse", why: "doas -L only clears persisted authentications; " + NO_COMMAND },
  "-s": { kind: "refuse", why: "a shell would run instead of mito's interpreter" },
  "-u": { kind: "refuse", why: "the user comes from become_user" },
  "-C": { kind: "refuse", why: NO_COMMAND },
};

const RULES: Record<string, Record<string, Rule>> = { sudo: SUDO, su: SU, doas: DOAS };

/**
 * Parses become_flags for `method`. `-n` (non-interactive) is forwarded only when no password is set:
 * with a password sudo/doas must be allowed to prompt, as Ansible also drops it then.
 */
export function parseBecomeFlags(
  method: "sudo" | "su" | "doas",
  flags: string | undefined,
  opts: { hasPassword: boolean },
): ParsedBecomeFlags {
  const out: ParsedBecomeFlags = { args: [], dropped: [] };
  if (!flags) return out;
  const rules = RULES[method];
  const words = shellSplit(flags);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if ((method === "sudo" || method === "doas") && (w === "-n" || w === "--non-interactive")) {
      if (opts.hasPassword) {
        out.dropped.push({ flag: w, why: "a password is set, so the prompt must be allowed" });
      } else out.args.push(w);
      continue;
    }
    // Long options with '=value' and clustered short options ("-HSn") are split into single flags.
    const eq = w.startsWith("--") ? w.indexOf("=") : -1;
    if (eq > 0) {
      const name = w.slice(0, eq);
      const rule = rules[name];
      if (!rule || rule.kind !== "forward" || !rule.arg) throw new BecomeFlagError(method, w, ruleWhy(rule));
      out.args.push(rule.short ?? name, w.slice(eq + 1));
      continue;
    }
    if (/^-[A-Za-z]{2,}$/.test(w)) {
      words.splice(i + 1, 0, ...[...w.slice(2)].map((c) => `-${c}`));
      words[i] = w.slice(0, 2);
      i--;
      continue;
    }
    const rule = rules[w];
    if (!rule || rule.kind === "refuse") throw new BecomeFlagError(method, w, ruleWhy(rule));
    if (rule.kind === "drop") {
      out.dropped.push({ flag: w, why: rule.why });
      continue;
    }
    // Long options leave as their short form: the runtime's sudo parser (bootstrap/become.py) takes those.
    out.args.push(rule.short ?? w);
    if (rule.arg) {
      const v = words[++i];
      if (v === undefined) throw new BecomeFlagError(method, w, "it needs a value");
      out.args.push(v);
    }
  }
  return out;
}

function ruleWhy(rule: Rule | undefined): string {
  return rule && rule.kind !== "forward" ? rule.why : rule ? "it takes no value" : "unknown option";
}
