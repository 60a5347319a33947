// Entry of the bundled program (Node single executable, deno compile): runs the CLI unconditionally.
import { runCli } from "./main.ts";
import { markStandalone } from "./_self.ts";

markStandalone();
void runCli();
