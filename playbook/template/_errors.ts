// Errors raised while compiling or rendering a template.

/** A template failed to parse or render; the message names the template text and what went wrong. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/**
 * A lookup gave up on its own terms (Ansible's AnsibleLookupError, "No file was found when using
 * first_found."): reported as it is, or only warned about under `errors='warn'`.
 */
export class LookupError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = "LookupError";
  }
}

/**
 * A lookup refused its options (Ansible's AnsibleOptionsError): reported as it is, whatever `errors=` says,
 * as Ansible re-raises it.
 */
export class LookupOptionsError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = "LookupOptionsError";
  }
}

/** A variable or attribute was used while undefined: "'foo' is undefined", "'dict object' has no attribute 'x'". */
export class UndefinedError extends TemplateError {
  constructor(message: string, readonly variable: string) {
    super(message);
    this.name = "UndefinedError";
  }
}

/** Shortens template text for error messages. */
export function shorten(text: string, max = 200): string {
  return text.length > max ? text.slice(0, max) + "…" : text;
}

/** " (line N)" for templates of several lines, so errors in template files can be found. */
export function lineNote(src: string, pos: number): string {
  if (!src.includes("\n")) return "";
  let line = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src.charCodeAt(i) === 10) line++;
  return ` (line ${line})`;
}

/**
 * A filter or test name that no plugin answers to ("Could not load "x": 'x'"): Ansible finds out while
 * compiling, so the message names the template as a syntax error does.
 */
export class UnknownPluginError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = "UnknownPluginError";
  }
}

/**
 * A Python exception that is not one of Ansible's (os.path.samefile's FileNotFoundError in a test): it
 * reaches Ansible's worker as it is, so the task fails with its traceback alone. The message is the
 * traceback's last line ("FileNotFoundError: [Errno 2] No such file or directory: '/nope'").
 */
export class PythonError extends TemplateError {
  /** `pyClass` as Python's `type(e)` names it (`FileNotFoundError`, `jinja2.exceptions.…`); `text` its str(). */
  constructor(readonly pyClass: string, readonly text: string) {
    super(`${pyClass}: ${text}`);
    this.name = "PythonError";
  }
}

/**
 * Jinja2's TemplateSyntaxError raised while rendering rather than compiling: a filter or test named by a
 * string (`map('x')`, `selectattr('a', 'x')`) that nothing answers to. Ansible catches syntax errors only
 * around compiling, so this one leaves its templating as the Python exception it is.
 */
export function renderSyntaxError(reason: string): PythonError {
  // Jinja2's str() of a syntax error without a source adds its (here meaningless) line
  return new PythonError("jinja2.exceptions.TemplateSyntaxError", `${reason}\n  line 0`);
}

const OS_ERRORS: Record<string, [string, number, string]> = {
  ENOENT: ["FileNotFoundError", 2, "No such file or directory"],
  EACCES: ["PermissionError", 13, "Permission denied"],
  ENOTDIR: ["NotADirectoryError", 20, "Not a directory"],
  ELOOP: ["OSError", 40, "Too many levels of symbolic links"],
};

/** A failed file system call on `file` as Python raises it (FileNotFoundError: [Errno 2] …: 'file'). */
export function osError(err: unknown, file: string): PythonError {
  const code = (err as { code?: string }).code ?? "";
  const [cls, errno, text] = OS_ERRORS[code] ?? ["OSError", 5, (err as Error).message];
  return new PythonError(cls, `[Errno ${errno}] ${text}: '${file}'`);
}
