// The login user of a `local` connection: the controller's own user, found as Python's getpass.getuser()
// finds it (the environment first), which is what Ansible compares a become user with.
import * as os from "node:os";
import process from "node:process";

export function controllerUser(): string {
  for (const k of ["LOGNAME", "USER", "LNAME", "USERNAME"]) {
    const v = process.env[k];
    if (v) return v;
  }
  return os.userInfo().username;
}
