export * from "./spec.ts";
export {
  BecomeFlagError,
  defaultBecomeFlags,
  parseBecomeFlags,
  type ParsedBecomeFlags,
  shellSplit,
} from "./flags.ts";
export { connectSpec } from "./connect_spec.ts";
export { controllerUser } from "./local_user.ts";
