// One table per command's options, serving both the parser and the --help text, so the two never
// disagree. The parser follows argparse's conventions as Ansible's commands use them: `--opt value`,
// `--opt=value`, `-ivalue`, clustered short flags (`-vvvb`), unique prefixes of long options, `--`.
import { ArgumentError } from "./errors.ts";

export interface OptionDef {
  /** The long name (without `--`); also the key of the parsed value. */
  name: string;
  short?: string;
  /** Further long names meaning the same option (`--key-file` for `--private-key`). */
  aliases?: string[];
  /** Shown after the flag in help; an option with a metavar takes a value, one without is a flag. */
  metavar?: string;
  /** Repeatable: values collect into a list; a repeated flag counts (`-vvv` is 3). */
  multiple?: boolean;
  help: string;
}

export interface OptionGroup {
  /** Absent for the main group ("options:"). */
  title?: string;
  description?: string;
  options: OptionDef[];
}

export interface CommandSpec {
  /** The name shown in usage and errors: "mito run" or "ansible-playbook". */
  prog: string;
  /** Positional arguments as the usage line ends: "playbook [playbook ...]". */
  positionals: string;
  /** Lines under "positional arguments:" (name, help). */
  positionalHelp?: [string, string][];
  description: string;
  groups: OptionGroup[];
  epilog?: string;
  /** How many positionals are required; fewer is argparse's "the following arguments are required". */
  minPositionals?: number;
  /** Their names for that error ("playbook"). */
  requiredNames?: string;
}

export type OptionValue = string | string[] | boolean | number;

export interface ParsedCommand {
  values: Record<string, OptionValue | undefined>;
  positionals: string[];
  help: boolean;
}

const HELP: OptionDef = { name: "help", short: "h", help: "show this help message and exit" };

function allOptions(spec: CommandSpec): OptionDef[] {
  return [HELP, ...spec.groups.flatMap((g) => g.options)];
}

/** The command line to values; unknown or incomplete options are ArgumentErrors in argparse's words. */
export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  const opts = allOptions(spec);
  const byShort = new Map(opts.filter((o) => o.short).map((o) => [o.short!, o]));
  const longNames = new Map<string, OptionDef>();
  for (const o of opts) for (const n of [o.name, ...(o.aliases ?? [])]) longNames.set(n, o);
  const values: Record<string, OptionValue | undefined> = {};
  const positionals: string[] = [];
  const unknown: string[] = [];
  const shown = (o: OptionDef) =>
    [o.short ? `-${o.short}` : undefined, `--${o.name}`].filter(Boolean).join("/");
  const set = (o: OptionDef, value: string | undefined) => {
    if (o.metavar === undefined) {
      values[o.name] = o.multiple ? ((values[o.name] as number | undefined) ?? 0) + 1 : true;
    } else if (o.multiple) values[o.name] = [...((values[o.name] as string[] | undefined) ?? []), value!];
    else values[o.name] = value;
  };
  const findLong = (name: string): OptionDef | undefined => {
    const exact = longNames.get(name);
    if (exact) return exact;
    const matches = [...new Set([...longNames].filter(([n]) => n.startsWith(name)).map(([, o]) => o))];
    if (matches.length > 1) {
      const names = [...longNames.keys()].filter((n) => n.startsWith(name)).map((n) => `--${n}`);
      throw new ArgumentError(`ambiguous option: --${name} could match ${names.join(", ")}`);
    }
    return matches[0];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const o = findLong(name);
      if (!o) {
        unknown.push(arg);
        continue;
      }
      if (o.metavar === undefined) {
        if (eq >= 0) {
          throw new ArgumentError(`argument ${shown(o)}: ignored explicit argument '${arg.slice(eq + 1)}'`);
        }
        set(o, undefined);
      } else if (eq >= 0) set(o, arg.slice(eq + 1));
      else if (i + 1 < argv.length && !isOptionLike(argv[i + 1])) set(o, argv[++i]);
      else throw new ArgumentError(`argument ${shown(o)}: expected one argument`);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
      for (let j = 1; j < arg.length; j++) {
        const o = byShort.get(arg[j]);
        if (!o) {
          unknown.push(j === 1 ? arg : `-${arg.slice(j)}`);
          break;
        }
        if (o.metavar === undefined) {
          set(o, undefined);
          continue;
        }
        const rest = arg.slice(j + 1).replace(/^=/, "");
        if (rest) set(o, rest);
        else if (i + 1 < argv.length && !isOptionLike(argv[i + 1])) set(o, argv[++i]);
        else throw new ArgumentError(`argument ${shown(o)}: expected one argument`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  const help = values.help === true;
  if (!help && values.version !== true && positionals.length < (spec.minPositionals ?? 0)) {
    throw new ArgumentError(
      `the following arguments are required: ${spec.requiredNames ?? spec.positionals}`,
    );
  }
  if (unknown.length) throw new ArgumentError(`unrecognized arguments: ${unknown.join(" ")}`);
  return { values, positionals, help };
}

// argparse takes "-5" as a value but "-x" as the next option.
function isOptionLike(arg: string): boolean {
  return arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg);
}

const WIDTH = 78;
const HELP_COLUMN = 24;

/** Words wrapped to `width`, every line prefixed with `indent`. */
function wrap(text: string, indent: number, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => " ".repeat(indent) + l);
}

function invocation(o: OptionDef): string {
  const names = [
    ...(o.short ? [`-${o.short}`] : []),
    `--${o.name}`,
    ...(o.aliases ?? []).map((a) => `--${a}`),
  ];
  return names.map((n) => (o.metavar ? `${n} ${o.metavar}` : n)).join(", ");
}

function entry(left: string, help: string): string[] {
  const head = `  ${left}`;
  const body = wrap(help, HELP_COLUMN);
  if (head.length <= HELP_COLUMN - 2) {
    return [head.padEnd(HELP_COLUMN) + (body[0] ?? "").trimStart(), ...body.slice(1)];
  }
  return [head, ...body];
}

// Ansible's help lists each group's options sorted by their flags (so "--long" before "-s").
function sorted(options: OptionDef[]): OptionDef[] {
  const key = (o: OptionDef) => (o.short ? `-${o.short}` : `--${o.name}`);
  return [...options].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The usage line: every option in brackets, wrapped under the program's name. */
export function usageLine(spec: CommandSpec): string {
  const parts = allOptions(spec).map((o) => {
    const flag = o.short ? `-${o.short}` : `--${o.name}`;
    return `[${o.metavar ? `${flag} ${o.metavar}` : flag}]`;
  });
  parts.push(spec.positionals);
  const first = `usage: ${spec.prog} `;
  const lines: string[] = [];
  let line = "";
  for (const p of parts) {
    if (line && first.length + line.length + 1 + p.length > WIDTH) {
      lines.push(line);
      line = p;
    } else line = line ? `${line} ${p}` : p;
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? first : " ".repeat(first.length)) + l).join("\n");
}

/** The whole --help text, laid out as argparse lays out Ansible's. */
export function helpText(spec: CommandSpec): string {
  const out = [usageLine(spec), "", ...wrap(spec.description, 0), ""];
  if (spec.positionalHelp?.length) {
    out.push("positional arguments:");
    for (const [name, help] of spec.positionalHelp) out.push(...entry(name, help));
    out.push("");
  }
  const [main, ...rest] = spec.groups;
  out.push("options:");
  for (const o of sorted([HELP, ...(main?.title ? [] : main?.options ?? [])])) {
    out.push(...entry(invocation(o), o.help));
  }
  for (const g of main?.title ? spec.groups : rest) {
    out.push("", `${g.title}:`);
    if (g.description) out.push(...wrap(g.description, 2), "");
    for (const o of sorted(g.options)) out.push(...entry(invocation(o), o.help));
  }
  if (spec.epilog) out.push("", ...wrap(spec.epilog, 0));
  return out.join("\n") + "\n";
}

/**
 * An error of node:util's parseArgs (the commands not yet on the tables above) in argparse's words,
 * as an ArgumentError (exit 2), instead of the parser's own advice about `--`.
 */
export function parseArgsError(err: unknown): ArgumentError {
  const e = err as { code?: string; message?: string };
  const msg = e.message ?? String(err);
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const m = /'([^']*)'/.exec(msg);
    return new ArgumentError(`unrecognized arguments: ${m ? m[1] : msg}`);
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const m = /Option '(?:-(\w), )?--([\w-]+)/.exec(msg);
    if (m && / argument missing$/.test(msg)) {
      return new ArgumentError(`argument ${m[1] ? `-${m[1]}/` : ""}--${m[2]}: expected one argument`);
    }
    if (m) {
      return new ArgumentError(`argument ${m[1] ? `-${m[1]}/` : ""}--${m[2]}: ignored explicit argument`);
    }
  }
  return new ArgumentError(msg);
}

/** --help or --version answered (the text printed, exit code 0), or undefined to go on with the command. */
export function helpOrVersion(
  spec: CommandSpec,
  parsed: ParsedCommand,
  version: (prog: string) => string,
  write: (text: string) => void,
): number | undefined {
  if (parsed.help) write(helpText(spec));
  else if (
    parsed.values.version === true && spec.groups.some((g) => g.options.some((o) => o.name === "version"))
  ) {
    write(version(spec.prog));
  } else return undefined;
  return 0;
}
