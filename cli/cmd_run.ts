// `mito run`: parse ansible-playbook's flags, then hand over to the playbook layer with the protocol's
// connection layer as the runner of remote modules.
import { runOptions, runSpec } from "./run_args.ts";
import { defaultEnvironment, runPlaybooks } from "../playbook/run.ts";
import { protocolRunnerFactory } from "../playbook/remote/mod.ts";
import process from "node:process";
import { stderrProgress } from "./_progress.ts";
import { VERSION } from "./version.ts";
import { helpText, parseCommand } from "./_options.ts";
import { versionText } from "./_version_text.ts";

export function run(argv: string[], prog = "mito run"): Promise<number> {
  const spec = runSpec(prog);
  const parsed = parseCommand(spec, argv);
  if (parsed.help) return Promise.resolve(print(helpText(spec)));
  if (parsed.values.version) return Promise.resolve(print(versionText(prog)));
  const opts = runOptions(parsed);
  const progress = stderrProgress(process.stderr);
  const transfers = progress && ((label: string, total: number) => progress.start(label, total));
  return runPlaybooks(opts, {
    ...defaultEnvironment(),
    runner: protocolRunnerFactory({ transfers }),
    program: `${prog} [mito ${VERSION}]`,
  });
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}
