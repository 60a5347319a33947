// Pure parsing of user-supplied ssh(1) flags (ansible's ssh_args, ssh_common_args, ssh_extra_args): what
// can be forwarded to the OpenSSH client unchanged, what mito must know about (port, user, identities,
// -o options it also sets), and what cannot work under a binary protocol on stdin/stdout.

/** A flag mito cannot honour, or two settings that disagree. */
export interface SshArgProblem {
  severity: "error" | "warning";
  /** The offending flag as the user wrote it, e.g. "-t" or "-o RequestTTY=yes". */
  flag: string;
  message: string;
}

export interface ParsedSshArgs {
  /** Flags to hand to ssh unchanged, in their original order (already split into argv words). */
  forward: string[];
  /** -p / -o Port=: the first one given, as ssh itself takes the first value. */
  port?: number;
  /** -l / -o User=. */
  user?: string;
  /** -i / -o IdentityFile=, in order. */
  identityFiles: string[];
  /** Every -o option, keyed by its lower-case name; the first value given wins, as in ssh. */
  options: Map<string, string>;
  /** Number of -v flags (ssh debug level). */
  verbosity: number;
  problems: SshArgProblem[];
}

// ssh(1)'s getopt string, OpenSSH 9: letters followed by ":" take an argument.
const WITH_ARG = new Set("BbcDEeFIiJLlmOoPpQRSWw".split(""));
const NO_ARG = new Set("46AaCfGgKkMNnqsTtVvXxYy".split(""));

// Flags that break the protocol: the far command's stdin/stdout must be a clean, unattended byte pipe.
const UNSUPPORTED: Record<string, string> = {
  f: "sends ssh to the background before the command runs",
  N: "runs no remote command, so the remote runtime would never start",
  n: "redirects stdin from /dev/null, so the protocol could not reach the target",
  s: "requests a subsystem instead of running the remote runtime",
  t: "forces a remote TTY, which would corrupt the binary protocol",
  G: "only prints the configuration and exits",
  V: "only prints the version and exits",
  Q: "only queries supported algorithms and exits",
  O: "sends a control command to a master instead of connecting",
  W: "forwards stdio to another host instead of running the remote runtime",
};

/** -o options that would break the protocol when set to the given values (lower-case name → test). */
const UNSUPPORTED_OPTIONS: Record<string, { bad: (v: string) => boolean; why: string }> = {
  requesttty: {
    bad: (v) => /^(yes|force)$/i.test(v),
    why: "a remote TTY would corrupt the binary protocol",
  },
  remotecommand: { bad: () => true, why: "mito runs its own remote command" },
  sessiontype: { bad: (v) => !/^default$/i.test(v), why: "mito needs a command session" },
  stdinnull: { bad: (v) => /^yes$/i.test(v), why: "the protocol needs ssh's stdin" },
  forkafterauthentication: { bad: (v) => /^yes$/i.test(v), why: "ssh would go to the background" },
};

/** Splits a shell-quoted string into words the way ansible's shlex.split does (no expansion). */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new SshArgsError(`unterminated single quote in ssh arguments: ${text}`);
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1])) i++;
        cur += text[i];
        i++;
      }
      if (i >= text.length) throw new SshArgsError(`unterminated double quote in ssh arguments: ${text}`);
      inWord = true;
      i++;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export class SshArgsError extends Error {
  override name = "SshArgsError";
}

/** Splits "Key=Value" or "Key Value" (ssh_config syntax inside -o) into a lower-case key and value. */
export function splitSshOption(text: string): { key: string; value: string } {
  const m = /^\s*([A-Za-z0-9]+)\s*(?:=\s*|\s+)(.*?)\s*$/s.exec(text);
  if (!m) throw new SshArgsError(`-o ${text}: expected Option=value`);
  return { key: m[1].toLowerCase(), value: m[2] };
}

/**
 * Parses ssh flags given as argv words or as one shell-quoted string (several strings are parsed in
 * order, as ansible concatenates ssh_args, ssh_common_args and ssh_extra_args).
 */
export function parseSshArgs(...sources: (string | string[] | undefined)[]): ParsedSshArgs {
  const words = sources.flatMap((s) => s === undefined ? [] : typeof s === "string" ? splitShellWords(s) : s);
  const out: ParsedSshArgs = {
    forward: [],
    identityFiles: [],
    options: new Map(),
    verbosity: 0,
    problems: [],
  };
  let i = 0;
  while (i < words.length) {
    const word = words[i++];
    if (word === "--" || !word.startsWith("-") || word === "-") {
      out.problems.push({
        severity: "error",
        flag: word,
        message: `unexpected argument ${JSON.stringify(word)}: ssh arguments may only hold flags; ` +
          "the host and remote command are chosen by mito",
      });
      continue;
    }
    // A word may bundle several flags ("-Cvv") and end with one that takes an argument ("-Cp2222").
    for (let j = 1; j < word.length; j++) {
      const letter = word[j];
      if (WITH_ARG.has(letter)) {
        let arg = word.slice(j + 1);
        if (arg === "") {
          if (i >= words.length) {
            out.problems.push({
              severity: "error",
              flag: `-${letter}`,
              message: `-${letter} needs an argument`,
            });
            break;
          }
          arg = words[i++];
        }
        takeWithArg(out, letter, arg);
        break;
      }
      if (!NO_ARG.has(letter)) {
        out.problems.push({
          severity: "error",
          flag: `-${letter}`,
          message: `-${letter} is not an ssh(1) flag`,
        });
        continue;
      }
      if (letter in UNSUPPORTED) {
        out.problems.push({
          severity: "error",
          flag: `-${letter}`,
          message: `-${letter} ${UNSUPPORTED[letter]}`,
        });
      } else if (letter === "v") {
        out.verbosity++;
        out.forward.push("-v");
      } else if (letter === "T") {
        // mito always disables the remote TTY itself; saying so again is harmless.
      } else {
        out.forward.push(`-${letter}`);
      }
    }
  }
  return out;
}

function takeWithArg(out: ParsedSshArgs, letter: string, arg: string): void {
  switch (letter) {
    case "p":
      setPort(out, `-p ${arg}`, arg);
      return;
    case "l":
      out.user ??= arg;
      return;
    case "i":
      out.identityFiles.push(arg);
      return;
    case "o":
      takeOption(out, arg);
      return;
    default:
      if (letter in UNSUPPORTED) {
        out.problems.push({
          severity: "error",
          flag: `-${letter} ${arg}`,
          message: `-${letter} ${UNSUPPORTED[letter]}`,
        });
        return;
      }
      out.forward.push(`-${letter}`, arg);
  }
}

function setPort(out: ParsedSshArgs, flag: string, text: string): void {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    out.problems.push({ severity: "error", flag, message: `${flag}: not a TCP port number` });
    return;
  }
  out.port ??= port;
}

function takeOption(out: ParsedSshArgs, text: string): void {
  let opt: { key: string; value: string };
  try {
    opt = splitSshOption(text);
  } catch (err) {
    out.problems.push({ severity: "error", flag: `-o ${text}`, message: (err as Error).message });
    return;
  }
  const rule = UNSUPPORTED_OPTIONS[opt.key];
  if (rule && rule.bad(opt.value)) {
    out.problems.push({ severity: "error", flag: `-o ${text}`, message: `-o ${text}: ${rule.why}` });
    return;
  }
  if (opt.key === "port") return setPort(out, `-o ${text}`, opt.value);
  if (opt.key === "user") {
    out.user ??= opt.value;
    return;
  }
  if (opt.key === "identityfile") {
    out.identityFiles.push(opt.value);
    return;
  }
  if (!out.options.has(opt.key)) out.options.set(opt.key, opt.value);
  out.forward.push("-o", text);
}
