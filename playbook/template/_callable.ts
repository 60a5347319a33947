// A Python-callable value (globals, bound methods, macros): its own module so that the runtime, the
// methods of built-in types and datetime objects can all make one without importing each other.

export class PyCallable {
  constructor(
    readonly name: string,
    readonly fn: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
  ) {}
}
