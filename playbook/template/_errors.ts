// Errors raised while compiling or rendering a template.

/** A template failed to parse or render; the message names the template text and what went wrong. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
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
