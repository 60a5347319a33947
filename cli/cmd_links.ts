// `mito install-links DIR`: links named after Ansible's commands, so scripts and CI jobs that call
// ansible-playbook, ansible, … run mito once DIR is first on PATH (the name picks the command).
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { LINK_NAMES } from "./main.ts";
import { selfCommand } from "./_self.ts";
import { type CommandSpec, helpOrVersion, parseCommand } from "./_options.ts";
import { ArgumentError, UsageError } from "./errors.ts";

export function linksSpec(prog: string): CommandSpec {
  return {
    prog,
    positionals: "DIR",
    positionalHelp: [["DIR", "the directory to create the links in (created if missing)"]],
    minPositionals: 1,
    requiredNames: "DIR",
    description: `Creates symbolic links named ${Object.keys(LINK_NAMES).join(", ")} in DIR, pointing at ` +
      "this program; invoked through one of them, it behaves as that command.",
    groups: [{
      options: [{ name: "force", help: "replace files of those names that are not already such links" }],
    }],
  };
}

/** A name in DIR that is something else than a link to this program, left alone without --force. */
export class LinkExistsError extends UsageError {
  constructor(readonly file: string) {
    super(`${file} exists and is not a link to mito; use --force to replace it`);
  }
}

export interface LinkResult {
  link: string;
  action: "created" | "kept" | "replaced";
}

/** Creates (or confirms) the links; pure of output, so a test can read what happened. */
export function createLinks(dir: string, target: string, force: boolean): LinkResult[] {
  fs.mkdirSync(dir, { recursive: true });
  const out: LinkResult[] = [];
  for (const name of Object.keys(LINK_NAMES)) {
    const link = path.join(dir, name);
    let existing: string | undefined;
    try {
      existing = fs.readlinkSync(link);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EINVAL" && !force) throw new LinkExistsError(link); // a file, not a link
      if (code !== "ENOENT" && code !== "EINVAL") throw err;
    }
    const exists = existing !== undefined || fs.existsSync(link);
    if (existing !== undefined && path.resolve(dir, existing) === target) {
      out.push({ link, action: "kept" });
      continue;
    }
    if (exists && !force) throw new LinkExistsError(link);
    if (exists) fs.rmSync(link);
    fs.symlinkSync(target, link);
    out.push({ link, action: exists ? "replaced" : "created" });
  }
  return out;
}

export function installLinks(argv: string[], prog = "mito install-links"): Promise<number> {
  const spec = linksSpec(prog);
  const parsed = parseCommand(spec, argv);
  const answered = helpOrVersion(spec, parsed, () => "", (t) => process.stdout.write(t));
  if (answered !== undefined) return Promise.resolve(answered);
  if (parsed.positionals.length > 1) {
    throw new ArgumentError(`unrecognized arguments: ${parsed.positionals.slice(1).join(" ")}`);
  }
  const dir = path.resolve(parsed.positionals[0]);
  const target = selfCommand();
  for (const r of createLinks(dir, target, parsed.values.force === true)) {
    process.stdout.write(`${r.action} ${r.link} -> ${target}\n`);
  }
  return Promise.resolve(0);
}
