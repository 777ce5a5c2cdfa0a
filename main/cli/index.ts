// The `clawdbot` command. This file only declares the commands (commander); each command's code is
// imported when it runs, so `clawdbot --help` and the light commands start fast.
//
// Exit codes: 0 ok, 1 failure or unhealthy, 2 usage error or bad input (see output.ts).
// Environment: CLAWDBOT_STATE_DIR (default ~/.clawdbot), CLAWDBOT_CONFIG_PATH (default
// <stateDir>/clawdbot.json), CLAWDBOT_GATEWAY_PORT, CLAWDBOT_GATEWAY_TOKEN.
import { Command, CommanderError, Option } from 'commander';
import { CLAWDBOT_VERSION } from '../gateway/version';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, formatCliError } from './output';

type Action = () => Promise<number>;

/** Runs a command body and exits with its code; errors become `Error:`/`Fix:` lines. */
async function run(action: Action): Promise<void> {
  let code: number;
  try {
    code = await action();
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`${formatCliError(error)}\n`);
      code = error.exitCode;
    } else {
      const err = error as Error & { fix?: unknown };
      process.stderr.write(`${formatCliError({ message: err.message ?? String(error), ...(typeof err.fix === 'string' ? { fix: err.fix } : {}) })}\n`);
      code = EXIT_FAILURE;
    }
  }
  // `gateway` keeps running: it returns only once stopped (and then exits itself).
  process.exitCode = code;
  await flushAndExit(code);
}

function flushAndExit(code: number): Promise<void> {
  return new Promise(() => {
    // Exit once stdout/stderr are written (large --json outputs on a pipe are written async).
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) throw new CliError(`--port ${value}: not a port number (0–65535).`, EXIT_USAGE);
  return port;
}

function parsePositiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1) throw new CliError(`${flag} ${value}: expected a positive whole number.`, EXIT_USAGE);
    return n;
  };
}

export function buildProgram(): Command {
  const program = new Command('clawdbot')
    .description('Clawdbot: your AI assistant over iMessage. The gateway, its channels, pairing and config.')
    .version(CLAWDBOT_VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    // Options after a subcommand belong to it (`message send --json`, `gateway restart --json`).
    .enablePositionalOptions()
    .exitOverride();

  // ---- gateway --------------------------------------------------------------------------------
  const gateway = program
    .command('gateway')
    .description('run the gateway in the foreground (Ctrl-C stops it gracefully)')
    .addOption(new Option('--port <port>', 'control API port (default: $CLAWDBOT_GATEWAY_PORT, gateway.port, 18789)').argParser(parsePort))
    .option('--bind <address>', 'listen address: loopback (default), lan or an IP (non-loopback needs gateway.auth.token)')
    .option('--json', 'log JSON lines on stdout instead of readable lines on stderr')
    .option('--demo', 'use a simulated Messages account (imsg simulator); its state is kept in ~/.clawdbot/demo')
    .option('--fresh', 'with --demo: start the demo over (a new token, no approvals, an empty conversation)')
    .option('--verbose', 'include debug logs')
    .action((opts: { port?: number; bind?: string; json?: boolean; demo?: boolean; fresh?: boolean; verbose?: boolean }) =>
      run(async () => (await import('./commands/gateway')).runGateway(opts)),
    );
  gateway
    .command('run', { hidden: true })
    .description('same as `clawdbot gateway`')
    .addOption(new Option('--port <port>').argParser(parsePort))
    .option('--bind <address>')
    .option('--json')
    .option('--demo')
    .option('--fresh')
    .option('--verbose')
    .action((opts: { port?: number; bind?: string; json?: boolean; demo?: boolean; fresh?: boolean; verbose?: boolean }) =>
      run(async () => (await import('./commands/gateway')).runGateway(opts)),
    );
  gateway
    .command('restart')
    .description('restart the running gateway (re-reads the config, restarts imsg)')
    .option('--json', 'print the result as JSON')
    .addOption(new Option('--timeout <ms>', 'how long to wait for the gateway to come back').argParser(parsePositiveInt('--timeout')).default(15_000))
    .action((opts: { json?: boolean; timeout: number }) => run(async () => (await import('./commands/gateway')).restartGateway(opts)));

  // ---- channels -------------------------------------------------------------------------------
  const channels = program.command('channels').description('iMessage accounts: set up, remove, status and diagnostics');
  channels
    .command('status')
    .description('one line per account (asks the running gateway; without one, shows the config)')
    .option('--probe', 'run the full probe (imsg binary, rpc support, Full Disk Access, rpc answer) with fixes')
    .option('--json', 'print JSON')
    .action((opts: { probe?: boolean; json?: boolean }) => run(async () => (await import('./commands/channels')).channelsStatus(opts)));
  channels
    .command('add')
    .description('set up an iMessage account: `channels add imessage` (asks on a terminal; flags for scripts), then run its checks')
    .argument('[channel]', 'imessage')
    .option('--account <id>', 'account id (default: default)')
    .option('--name <name>', 'a label for the account')
    .option('--cli-path <path>', 'imsg, or a wrapper script (default: imsg where it is installed)')
    .option('--db-path <path>', "chat.db (default: ~/Library/Messages/chat.db of imsg's user)")
    .option('--ssh <user@host>', 'run imsg as this user over SSH: a dedicated Mac user (user@localhost) or another Mac')
    .option('--remote-cli-path <path>', 'imsg on the SSH side (default /opt/homebrew/bin/imsg)')
    .option('--remote-host <user@host>', 'where attachments are copied from (default: detected from the SSH wrapper)')
    .option('--dm-policy <policy>', 'pairing (default), allowlist, open or disabled')
    .option('--allow-from <handles>', 'comma-separated senders: +15555550123,me@icloud.com,chat_id:42,*')
    .option('--group-policy <policy>', 'allowlist (default), open or disabled')
    .option('--replace', 'replace a different SSH wrapper at ~/.clawdbot/scripts/imsg-<account> (kept as .bak)')
    .option('--yes', 'ask nothing: flags and defaults only')
    .option('--json', 'print JSON')
    .action((channel: string | undefined, opts: Record<string, unknown>) => run(async () => (await import('./commands/channels-add')).channelsAdd(channel, opts)));
  channels
    .command('remove')
    .description('remove an iMessage account: `channels remove imessage --account <id>`')
    .argument('[channel]', 'imessage')
    .option('--account <id>', 'the account to remove')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action((channel: string | undefined, opts: { account?: string; yes?: boolean; json?: boolean }) =>
      run(async () => (await import('./commands/channels-add')).channelsRemove(channel, opts)),
    );

  // ---- pairing --------------------------------------------------------------------------------
  const pairing = program.command('pairing').description('pairing requests from unknown iMessage senders');
  const pairingAction = (action: 'list' | 'approve' | 'deny' | 'revoke') => (args: string[], opts: { channel?: string; notify?: boolean; json?: boolean; all?: boolean }) =>
    run(async () => (await import('./commands/pairing')).runPairing(action, args, opts));
  pairing
    .command('list')
    .description('pending requests: `pairing list imessage`')
    .argument('[args...]', '<channel>')
    .option('--channel <channel>', 'the channel (imessage)')
    .option('--json', 'print JSON')
    .action(pairingAction('list'));
  pairing
    .command('approve')
    .description('let a sender chat with the assistant: `pairing approve imessage <CODE>`')
    .argument('[args...]', '<channel> <code>')
    .option('--channel <channel>', 'the channel (imessage)')
    .option('--notify', 'tell the sender they were approved (an iMessage)')
    .option('--json', 'print JSON')
    .action(pairingAction('approve'));
  pairing
    .command('deny')
    .description('drop a request without approving it: `pairing deny imessage <CODE>` (or every pending one: `--all`)')
    .argument('[args...]', '<channel> <code>')
    .option('--channel <channel>', 'the channel (imessage)')
    .option('--all', 'deny every pending request (frees the slots strangers hold)')
    .option('--json', 'print JSON')
    .action(pairingAction('deny'));
  pairing
    .command('revoke')
    .description('remove an approved sender: `pairing revoke imessage <sender>`')
    .argument('[args...]', '<channel> <sender>')
    .option('--channel <channel>', 'the channel (imessage)')
    .option('--json', 'print JSON')
    .action(pairingAction('revoke'));

  // ---- message --------------------------------------------------------------------------------
  const message = program
    .command('message')
    .description('send an iMessage: `message --to imessage:+15555550123 "Hello from Clawdbot!"`')
    .argument('[text...]', 'the message text')
    .option('--to <target>', 'imessage:+1555…, sms:…, user@example.com, chat_id:42, chat_guid:…, chat_identifier:…')
    .option('--media <path>', 'attach a file (local path or http(s) URL)')
    .option('--account <id>', 'iMessage account (default: the default account)')
    .option('--json', 'print JSON')
    .option('--dry-run', 'check the target and text, send nothing')
    .action((text: string[], opts: { to?: string; media?: string; account?: string; json?: boolean; dryRun?: boolean }) =>
      run(async () => (await import('./commands/message')).messageShortForm(text, opts)),
    );
  message
    .command('send')
    .description('send an iMessage: `message send --channel imessage --target <t> -m <text>`')
    .option('--channel <channel>', 'the channel (imessage)', 'imessage')
    .option('-t, --target <target>', 'where to send (see `clawdbot message --help`)')
    .option('-m, --message <text>', 'the message text')
    .option('--media <path>', 'attach a file (local path or http(s) URL)')
    .option('--account <id>', 'iMessage account (default: the default account)')
    .option('--json', 'print JSON')
    .option('--dry-run', 'check the target and text, send nothing')
    .action((opts: { channel: string; target?: string; message?: string; media?: string; account?: string; json?: boolean; dryRun?: boolean }) =>
      run(async () => (await import('./commands/message')).messageSend(opts)),
    );

  // ---- config ---------------------------------------------------------------------------------
  const config = program.command('config').description('read, change and check ~/.clawdbot/clawdbot.json');
  config
    .command('get')
    .description('print a value as written in the config file, e.g. `config get channels.imessage.dmPolicy`')
    .argument('<key>', 'dot.separated.key')
    .option('--json', 'print JSON')
    .action((key: string, opts: { json?: boolean }) => run(async () => (await import('./commands/config')).configGet(key, opts)));
  config
    .command('set')
    .description('set a value (JSON5, else text), e.g. `config set channels.imessage.dmPolicy allowlist`')
    .argument('<key>', 'dot.separated.key')
    .argument('<value>', 'the value; `null` removes the key')
    .option('--json', 'print JSON')
    .option('--force', 'write a key Clawdbot does not know (it is ignored, with a warning)')
    .action((key: string, value: string, opts: { json?: boolean; force?: boolean }) => run(async () => (await import('./commands/config')).configSet(key, value, opts)));
  config
    .command('unset')
    .description('remove a key')
    .argument('<key>', 'dot.separated.key')
    .option('--json', 'print JSON')
    .action((key: string, opts: { json?: boolean }) => run(async () => (await import('./commands/config')).configUnset(key, opts)));
  config
    .command('validate')
    .description('check the config file; prints every problem with its key, value and fix')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => run(async () => (await import('./commands/config')).configValidate(opts)));

  // ---- doctor ---------------------------------------------------------------------------------
  program
    .command('doctor')
    .description('check everything: config, each iMessage account, the gateway, the token file')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => run(async () => (await import('./commands/doctor')).doctor(opts)));

  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      await flushAndExit(ok ? EXIT_OK : EXIT_USAGE);
    }
    if (error instanceof CliError) {
      process.stderr.write(`${formatCliError(error)}\n`);
      await flushAndExit(error.exitCode);
    }
    throw error;
  }
  // A bare `clawdbot` (no command): help on stderr, usage error.
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    await flushAndExit(EXIT_USAGE);
  }
}

await main(process.argv.slice(2));
