// What `mitogen_get_stack` answers inside a playbook: the task's connection stack in the shape of
// Mitogen's result, read by the same builder as `mito stack` (playbook/connection) from the variables
// the executor handed the runner, without connecting. tests/stack_agree_test.ts keeps that builder and
// this runner's plan (plan.ts) agreeing on the hops.
import {
  buildStack,
  describeStack,
  type StackConfig,
  StackError,
  type StackKeywords,
} from "../connection/mod.ts";
import type { ModuleRequest } from "../runner.ts";

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function num(v: unknown): number | undefined {
  return v === undefined || v === null || v === "" ? undefined : Number(v);
}

/** `[{"kwargs": {...}, "method": "ssh"}, …]` for the task's target, passwords masked. */
export function taskStack(req: ModuleRequest, defaults: Record<string, unknown>) {
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
    transport: str(defaults.connection),
  };
  const b = req.become;
  const keywords: StackKeywords = {
    connection: str(cv.keyword_connection),
    remote_user: str(cv.keyword_remote_user),
    port: num(cv.keyword_port),
    timeout: num(cv.keyword_timeout),
    become: b.become,
    become_user: b.user,
    become_method: b.method,
    become_flags: b.flags,
    become_exe: b.exe,
    become_password: b.password,
  };
  const vars = (host: string) => {
    const v = host === req.targetHost ? cv : req.hostConnectionVars?.(host);
    if (!v) throw new StackError(`mitogen_via names '${host}', which is not in the inventory`);
    return (name: string) => v[name];
  };
  return describeStack(buildStack({ host: req.targetHost, vars, config, keywords }));
}
