// The login user of a `local` connection: the controller's own user, found as Python's getpass.getuser()
// finds it (the environment first), which is what Ansible compares a become user with.
import * as os from "node:os";
import process from "node:process";

const NAMES = ["LOGNAME", "USER", "LNAME", "USERNAME"];
// The account database's answer, asked once: every task's connection plan needs the user, and the lookup
// (an op and a getpwuid under Deno, where the environment names none of the variables) cost ~30 µs a task.
let fromAccount: string | undefined;

export function controllerUser(): string {
  for (const k of NAMES) {
    const v = process.env[k];
    if (v) return v;
  }
  return fromAccount ??= os.userInfo().username;
}
