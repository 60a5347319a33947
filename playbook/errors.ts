// Errors of the playbook layer, each carrying where in which file the bad input is, and the exit code
// ansible-playbook uses for that kind of failure.
import * as fs from "node:fs";
import { KV_AND_YAML, KV_SHORTHAND, yamlHints } from "./_yaml_hints.ts";

/** A place in a YAML file, as the data layer's positionOf reports it. */
export interface Position {
  file: string;
  line: number;
  column: number;
}

export function describePosition(pos: Position | undefined): string {
  if (!pos) return "";
  return `'${pos.file}': line ${pos.line}, column ${pos.column}`;
}

function positionHeader(file: string, line: number, column: number): string {
  return `The error appears to be in ${describePosition({ file, line, column })}, but may\n` +
    "be elsewhere in the file depending on the exact syntax problem.\n";
}

/**
 * Where the error is, with the offending line and the one before it and an arrow under the column, the
 * way Ansible reports it, followed by Ansible's hints for the usual YAML mistakes that line shows
 * (_yaml_hints.ts). Reading the file is best effort: a file that cannot be read gives the position and a
 * note saying so.
 */
export function positionDetails(pos: Position, readFile?: (file: string) => string): string {
  let msg = positionHeader(pos.file, pos.line, pos.column);
  if (!readFile) return msg;
  let lines: string[];
  try {
    // as Python's readlines: each line keeps its newline, which the hints below look at
    lines = readFile(pos.file).split(/(?<=\n)/);
  } catch {
    return msg + "\n(could not open file to display line)";
  }
  if (lines.length === 0 || lines[0] === "") {
    return msg + "\n(specified line no longer in file, maybe it changed?)";
  }
  let n = Math.min(pos.line - 1, lines.length - 1);
  while (n > 0 && !lines[n].trim()) n--;
  const target = lines[n];
  const prev = n > 0 ? lines[n - 1] : "";
  if (!target) return msg;
  if (KV_SHORTHAND.test(prev)) {
    // Ansible blames a k=v line just before the reported one: a task mixing both syntaxes
    const at = prev.trimEnd().indexOf("=");
    msg = positionHeader(pos.file, pos.line - 1, at + 1) +
      `\nThe offending line appears to be:\n\n${prev.trimEnd()}\n${" ".repeat(at)}^ here\n\n${KV_AND_YAML}`;
  } else {
    msg += `\nThe offending line appears to be:\n\n${prev.trimEnd()}\n${target.trimEnd()}\n${
      " ".repeat(Math.max(0, pos.column - 1))
    }^ here\n`;
  }
  return msg + yamlHints(target, pos.column);
}

function readText(file: string): string {
  return fs.readFileSync(file, "utf8");
}

/** Bad playbook input (unknown keyword, wrong type, missing file): ansible-playbook exits 4 on these. */
export class PlaybookError extends Error {
  override name = "PlaybookError";
  readonly exitCode: number = 4;
  constructor(readonly detail: string, readonly where?: Position) {
    super(where ? `${detail}\n\n${positionDetails(where, readText)}` : detail);
  }
}

/** A playbook file given on the command line that is not there (ansible-playbook exits 1). */
export class MissingPlaybookError extends PlaybookError {
  override name = "MissingPlaybookError";
  override readonly exitCode: number = 1;
}

/** A role that no collection or roles path holds: an error of the run, not of parsing (ansible-playbook exits 1). */
export class RoleNotFoundError extends PlaybookError {
  override name = "RoleNotFoundError";
  override readonly exitCode: number = 1;
}

/** A failure while running that is not a host's task failure (ansible-playbook exits 1). */
export class ExecutionError extends Error {
  override name = "ExecutionError";
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
  }
}
