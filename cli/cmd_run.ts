// `mito run`: parse ansible-playbook's flags, then hand over to the playbook layer with the protocol's
// connection layer as the runner of remote modules.
import { runOptions, runSpec } from "./run_args.ts";
import { defaultEnvironment, runPlaybooks, type RunRequest } from "../playbook/run.ts";
import { protocolRunnerFactory } from "../playbook/remote/mod.ts";
import process from "node:process";
import { stderrProgress } from "./_progress.ts";
import { VERSION } from "./version.ts";
import { helpOrVersion, parseCommand } from "./_options.ts";
import { versionText } from "./_version_text.ts";

export function run(argv: string[], prog = "mito run"): Promise<number> {
  const spec = runSpec(prog);
  const parsed = parseCommand(spec, argv);
  const answered = helpOrVersion(spec, parsed, versionText, (t) => process.stdout.write(t));
  if (answered !== undefined) return Promise.resolve(answered);
  return runRequest(runOptions(parsed), prog);
}

/** Runs a request (a playbook run, or an ad-hoc run's play) with the protocol's runner and transfer bars. */
export function runRequest(request: RunRequest, prog: string): Promise<number> {
  const progress = stderrProgress(process.stderr);
  const transfers = progress && ((label: string, total: number) => progress.start(label, total));
  return runPlaybooks(request, {
    ...defaultEnvironment(),
    runner: protocolRunnerFactory({ transfers }),
    program: `${prog} [mito ${VERSION}]`,
  });
}
