import { EXIT_FAILED } from "../io.js";
import { COMMON_HELP, COMMON_OPTIONS, type Command } from "./command.js";

export const demoCommand: Command = {
  name: "demo",
  summary: "run against a fake RunSignUp with a generated season (no credentials needed)",
  usage: "project88-sync demo [--duration 60s] [--port N]",
  options: { ...COMMON_OPTIONS },
  help: { ...COMMON_HELP },
  positionals: 0,
  async run() {
    return EXIT_FAILED;
  },
};
