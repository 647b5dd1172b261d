#!/usr/bin/env node
/**
 * The `project88-sync` executable: the only module that touches `process`. It turns argv, env,
 * stdout/stderr and signals into a `CliIo`, runs the command in-process, and exits with its code.
 */
import { runCli } from "./run-cli.js";

const controller = new AbortController();
let signalled = false;

function onSignal(signal: NodeJS.Signals): void {
  if (signalled) {
    // A second signal means "now": skip the graceful stop.
    process.stderr.write(`project88-sync: ${signal} again, exiting at once\n`);
    process.exit(1);
  }
  signalled = true;
  process.stderr.write(`project88-sync: ${signal} received, stopping gracefully (send it again to exit at once)\n`);
  controller.abort(signal);
}

process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
  // Only a command that subscribes (`start`) handles SIGHUP; for every other one it keeps its
  // default meaning (the terminal went away: exit).
  onHangup: (listener) => {
    const handler = () => listener();
    process.on("SIGHUP", handler);
    return () => process.off("SIGHUP", handler);
  },
});
// Let stdout drain (a pipe may still hold log lines), then exit: pools or sockets left open by a
// library must not keep a finished command alive.
process.stdout.write("", () => process.exit(code));
