import { EXIT_OK, println } from "../io.js";
import { COMMON_HELP, COMMON_OPTIONS, UsageError, type Command } from "./command.js";
import { commandLogger, loadCommandConfig, withRuntime } from "./common.js";

/** Parses `provider:id` (a registration id, or a user id with `--user`). */
export function parseSubject(text: string | undefined, what: string): { provider: string; id: string } {
  const match = text === undefined ? null : /^([a-z][a-z0-9_-]*):(\S+)$/.exec(text);
  if (!match) throw new UsageError(`expected <provider>:<${what}>, e.g. runsignup:123456`);
  return { provider: match[1] as string, id: match[2] as string };
}

export const forgetCommand: Command = {
  name: "forget",
  summary: "erase one person's personal data (a registration, or with --user every registration of a user)",
  usage: "project88-sync forget <provider>:<registrationId> | --user <provider>:<userId> [--config PATH] [--no-migrate]",
  options: { ...COMMON_OPTIONS, user: { type: "boolean" }, "no-migrate": { type: "boolean" } },
  help: {
    ...COMMON_HELP,
    user: "the argument names a provider user id: erase every registration of that user",
    "no-migrate": "do not apply database migrations first",
  },
  positionals: 1,
  async run(ctx) {
    const byUser = ctx.values.user === true;
    const { provider, id } = parseSubject(ctx.positionals[0], byUser ? "userId" : "registrationId");
    const config = await loadCommandConfig(ctx);
    const logger = commandLogger(ctx, config);
    return withRuntime(ctx, config, logger, { migrate: ctx.values["no-migrate"] !== true }, async ({ engine }) => {
      const result = await engine.forget(byUser ? { provider, userId: id } : { provider, registrationId: id });
      // Ids only: the person's data is gone, and the log must not bring it back.
      const summary = `forgot ${byUser ? `user ${provider}:${id}` : `registration ${provider}:${id}`}: ${result.registrations} registration(s) cleared; a later sync that brings them back is logged as privacy:returned`;
      logger.info({ provider, [byUser ? "userId" : "registrationId"]: id, registrations: result.registrations }, summary);
      if (ctx.io.stdout.isTTY) println(ctx.io.stdout, summary);
      return EXIT_OK;
    });
  },
};
