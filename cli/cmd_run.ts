// `mito run`: parse ansible-playbook's flags, then hand over to the playbook layer with the protocol's
// connection layer as the runner of remote modules.
import { parseRunArgs } from "./run_args.ts";
import { defaultEnvironment, runPlaybooks } from "../playbook/run.ts";
import { protocolRunnerFactory } from "../playbook/remote/mod.ts";
import process from "node:process";
import { stderrProgress } from "./_progress.ts";
import { VERSION } from "./version.ts";

export function run(argv: string[]): Promise<number> {
  const opts = parseRunArgs(argv);
  const progress = stderrProgress(process.stderr);
  const transfers = progress && ((label: string, total: number) => progress.start(label, total));
  return runPlaybooks(opts, {
    ...defaultEnvironment(),
    runner: protocolRunnerFactory({ transfers }),
    program: `mito run [mito ${VERSION}]`,
  });
}
