// Errors of the playbook layer, each carrying where in which file the bad input is, and the exit code
// ansible-playbook uses for that kind of failure.
import * as fs from "node:fs";

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

/**
 * Where the error is, with the offending line and the one before it and an arrow under the column, the
 * way Ansible reports it. Reading the file is best effort: a missing file gives just the position.
 */
export function positionDetails(pos: Position, readFile?: (file: string) => string): string {
  let msg = `The error appears to be in ${describePosition(pos)}, but may\n` +
    "be elsewhere in the file depending on the exact syntax problem.\n";
  if (!readFile) return msg;
  let lines: string[];
  try {
    lines = readFile(pos.file).split("\n");
  } catch {
    return msg;
  }
  let n = Math.min(pos.line - 1, lines.length - 1);
  while (n > 0 && !lines[n].trim()) n--;
  const target = (lines[n] ?? "").trimEnd();
  const prev = n > 0 ? lines[n - 1].trimEnd() : "";
  if (target) {
    msg += `\nThe offending line appears to be:\n\n${prev}\n${target}\n${
      " ".repeat(Math.max(0, pos.column - 1))
    }^ here\n`;
  }
  return msg;
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

/** ansible-playbook's exit codes. */
export const EXIT = {
  ok: 0,
  error: 1,
  hostFailed: 2,
  unreachable: 4,
  parseError: 4,
  badOptions: 5,
  interrupted: 99,
  unknown: 250,
} as const;
