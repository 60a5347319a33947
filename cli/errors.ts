// Errors the CLI reports as one line and an exit code, without a stack trace.
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 5; // ansible-playbook exits 5 on bad options
  constructor(message: string) {
    super(message);
  }
}
