// Command routing for the `imsg` simulator: version/help handling the way the real binary does it
// (`--version`/`--help` anywhere in argv; unknown commands with --help print the root help, exit 0),
// then one of the real commands, `rpc`, or the simulator-only `sim` driver.
import { resolve } from 'node:path';
import { CliError, parseOptions } from './cli-options';
import { chatsCommand, historyCommand, sendCommand, statusCommand, watchCommand } from './commands';
import { LineWriter } from './output';
import { runRpcServer } from './rpc-server';
import { defaultDbPath, expandTilde, messagesHomeFor, readSettings, SettingsError, type SimSettings } from './settings';
import { SimDbError } from './sim-db';
import { simCommand } from './sim-commands';
import { commandHelp, findCommand, rootHelp } from './texts';

/** `--db P` / `--db=P` anywhere in the arguments (every command accepts it). */
function dbArgument(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--db' && i + 1 < args.length) return args[i + 1];
    if (arg.startsWith('--db=')) return arg.slice(5);
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  let settings: SimSettings;
  try {
    settings = readSettings();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`imsg simulator: ${error.message}\n`);
    return 2;
  }
  const { profile } = settings;
  const out = new LineWriter(process.stdout, false);
  const [command, ...args] = argv;
  const isSim = command === 'sim';

  if (!isSim && argv.some((a) => a === '--version' || a === '-V')) {
    await out.line(profile.version);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    await out.line(rootHelp(profile).trimEnd());
    return 0;
  }
  if (!isSim && argv.some((a) => a === '--help' || a === '-h')) {
    const known = findCommand(command, profile);
    await out.line((known ? commandHelp(known) : rootHelp(profile)).trimEnd());
    return 0;
  }

  const dbArg = dbArgument(args);
  const dbPath = dbArg !== undefined ? resolve(expandTilde(dbArg)) : defaultDbPath(settings);
  const ctx = { settings, dbPath, home: messagesHomeFor(dbPath, settings), out };
  try {
    switch (findCommand(command, profile)?.name) {
      case 'rpc':
        parseOptions(args, {}); // only the global flags (--db, --json, -v, --log-level); they change nothing here
        return await runRpcServer({ dbPath, home: ctx.home, settings });
      case 'chats': return await chatsCommand(args, ctx);
      case 'history': return await historyCommand(args, ctx);
      case 'watch': return await watchCommand(args, ctx);
      case 'send': return await sendCommand(args, ctx);
      case 'status': return await statusCommand(args, ctx);
      case 'sim': return await simCommand(args, ctx);
      default: throw new CliError(`Unknown subcommand '${command}' for command 'imsg'`);
    }
  } catch (error) {
    if (error instanceof CliError && !isSim) {
      await out.line(error.message);
      return error.exitCode;
    }
    if (error instanceof CliError || error instanceof SimDbError) {
      process.stderr.write(`imsg sim: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
