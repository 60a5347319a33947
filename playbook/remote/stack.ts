// A task's ModuleRequest as the connection translator's input (playbook/connection/spec.ts), read by the
// runner's plan (plan.ts) to connect and by `mitogen_get_stack` to show the same stack without
// connecting: the executor's connection variables, its merged become settings, the play keywords it
// passes as keyword_* variables, and ansible.cfg's connection defaults.
import {
  buildStack,
  controllerUser,
  describeStack,
  type StackConfig,
  type StackInput,
  type StackKeywords,
} from "../connection/mod.ts";
import type { ModuleRequest } from "../runner.ts";

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function num(v: unknown): number | undefined {
  return v === undefined || v === null || v === "" ? undefined : Number(v);
}

/** The translator's input for the task's target; `defaults` are ansible.cfg's connection settings. */
export function requestStackInput(
  req: ModuleRequest,
  defaults: Record<string, unknown>,
  mode: StackInput["defaults"],
): StackInput {
  const cv = req.connectionVars;
  const config: StackConfig = {
    remoteUser: str(defaults.remote_user),
    remotePort: num(defaults.port),
    timeout: num(defaults.timeout),
    hostKeyChecking: defaults.host_key_checking === undefined
      ? undefined
      : Boolean(defaults.host_key_checking),
    privateKeyFile: str(defaults.private_key_file),
    sshArgs: str(defaults.ssh_args),
    sshCommonArgs: str(defaults.ssh_common_args),
    sshExtraArgs: str(defaults.ssh_extra_args),
    sshExecutable: str(defaults.ssh_executable),
    transport: str(defaults.connection),
    // The runner discovers the interpreter when none is set; what Mitogen shows is the variable alone.
    interpreterPython: mode === "transport" ? str(defaults.interpreter_python) : undefined,
    becomeAllowSameUser: defaults.become_allow_same_user === true,
    // Mitogen's view knows no login user of `local` (its play context's remote_user): it keeps the become
    localUser: mode === "transport" ? controllerUser() : undefined,
  };
  const b = req.become;
  const keywords: StackKeywords = {
    connection: str(cv.keyword_connection),
    remote_user: str(cv.keyword_remote_user),
    port: num(cv.keyword_port),
    become: b.become,
    become_user: b.user,
    become_method: b.method,
    become_flags: b.flags,
    become_exe: b.exe,
    become_password: b.password,
    // -k's answer, where the host's variables give no password
    connection_password: str(defaults.password),
  };
  const vars = (host: string) => {
    const v = host === req.targetHost ? cv : req.hostConnectionVars?.(host);
    return v && ((name: string) => v[name]);
  };
  return { host: req.targetHost, vars, config, keywords, defaults: mode, becomeDecided: true };
}

/** `[{"kwargs": {...}, "method": "ssh"}, …]` for the task's target, passwords masked. */
export function taskStack(req: ModuleRequest, defaults: Record<string, unknown>) {
  return describeStack(buildStack(requestStackInput(req, defaults, "mitogen")));
}
