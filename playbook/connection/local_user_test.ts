// The controller's login user, as Python's getpass.getuser() finds it: the first of LOGNAME, USER, LNAME and
// USERNAME that is set and not empty, else the account of the process's uid.
import * as os from "node:os";
import process from "node:process";
import { assertEquals } from "../../tests/_assert.ts";
import { controllerUser } from "./local_user.ts";

const NAMES = ["LOGNAME", "USER", "LNAME", "USERNAME"];

/** Runs `fn` with the four variables set as given (absent: unset), then puts them back. */
function withEnv(vars: Record<string, string>, fn: () => void): void {
  const saved = Object.fromEntries(NAMES.map((k) => [k, process.env[k]]));
  try {
    for (const k of NAMES) {
      if (k in vars) process.env[k] = vars[k];
      else delete process.env[k];
    }
    fn();
  } finally {
    for (const k of NAMES) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

Deno.test("controllerUser: the first variable set, in getpass.getuser()'s order, read afresh on each call", () => {
  withEnv({ USER: "u1", USERNAME: "u4" }, () => assertEquals(controllerUser(), "u1"));
  withEnv({ LOGNAME: "l0", USER: "u1" }, () => assertEquals(controllerUser(), "l0"));
  withEnv({ LOGNAME: "", LNAME: "n2" }, () => assertEquals(controllerUser(), "n2"));
});

Deno.test("controllerUser: with none set, the account of the process's uid, also after the variables changed", () => {
  const account = os.userInfo().username;
  withEnv({}, () => assertEquals(controllerUser(), account));
  withEnv({ USER: "someone" }, () => assertEquals(controllerUser(), "someone"));
  withEnv({}, () => assertEquals(controllerUser(), account));
});
