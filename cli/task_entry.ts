// Entry for `deno task mito`: tasks run in the repository, so return to where the user typed the command.
import process from "node:process";
import { runCli } from "./main.ts";

const initCwd = process.env.INIT_CWD;
if (initCwd) process.chdir(initCwd);
void runCli();
