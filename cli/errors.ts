// Errors the CLI reports as one line and an exit code, without a stack trace.
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode: number = 5; // Ansible's AnsibleOptionsError (an option's value refused after parsing)
  constructor(message: string) {
    super(message);
  }
}

/** What Ansible's argument parser refuses itself (unknown option, missing argument, bad number): exit 2. */
export class ArgumentError extends UsageError {
  override name = "ArgumentError";
  override readonly exitCode = 2;
}

/** What an Ansible command refuses once its options are read: "ERROR! ..." on stderr and its exit code. */
export class CommandError extends UsageError {
  override name = "CommandError";
  override readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
