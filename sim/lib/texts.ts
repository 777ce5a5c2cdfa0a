// Fixed texts clients match on: help output (spec §4.1, §4.2), the Full Disk Access messages
// (spec §1.5) and the JSON-RPC error strings (spec §1.7).
import type { VersionProfile } from './version';

interface CommandHelp {
  name: string;
  summary: string;
  usage: string;
  options: Array<[flags: string, description: string]>;
  examples: string[];
  /** Present in this version of imsg. */
  available(profile: VersionProfile): boolean;
}

const DB_OPTION: [string, string] = ['--db <value>', 'Path to chat.db (defaults to ~/Library/Messages/chat.db)'];
const RUNTIME_OPTIONS: Array<[string, string]> = [
  ['--log-level <value>', 'Set log level (trace|verbose|debug|info|warning|error|critical)'],
  ['-v, --verbose', 'Enable verbose logging'],
  ['--json', 'Emit machine-readable JSON output'],
];

const COMMANDS: CommandHelp[] = [
  {
    name: 'chats', summary: 'List recent conversations', usage: 'imsg chats [options]',
    options: [['--limit <value>', 'Number of chats to list (default 20)'], DB_OPTION, ...RUNTIME_OPTIONS],
    examples: ['imsg chats --limit 5', 'imsg chats --limit 5 --json'], available: () => true,
  },
  {
    name: 'history', summary: 'Show recent messages for a chat', usage: 'imsg history [options]',
    options: [
      ['--chat-id <value>', 'Chat rowid from \'imsg chats\''], ['--limit <value>', 'Number of messages to show (default 50)'],
      ['--participants <value>', 'Filter by participant handles (comma-separated or repeated)'],
      ['--start <value>', 'ISO8601 start (inclusive)'], ['--end <value>', 'ISO8601 end (exclusive)'],
      ['--attachments', 'Include attachment metadata'], DB_OPTION, ...RUNTIME_OPTIONS,
    ],
    examples: ['imsg history --chat-id 1 --limit 10 --attachments', 'imsg history --chat-id 1 --json'], available: () => true,
  },
  {
    name: 'watch', summary: 'Stream incoming messages', usage: 'imsg watch [options]',
    options: [
      ['--chat-id <value>', 'Limit to chat rowid'], ['--since-rowid <value>', 'Start watching after this rowid'],
      ['--debounce <value>', 'Debounce interval for filesystem events (e.g. 250ms)'],
      ['--participants <value>', 'Filter by participant handles'], ['--start <value>', 'ISO8601 start (inclusive)'],
      ['--end <value>', 'ISO8601 end (exclusive)'], ['--attachments', 'Include attachment metadata'],
      ['--reactions', 'Include tapback events'], DB_OPTION, ...RUNTIME_OPTIONS,
    ],
    examples: ['imsg watch --chat-id 1 --attachments --debounce 250ms'], available: () => true,
  },
  {
    name: 'send', summary: 'Send a message (text and/or attachment)', usage: 'imsg send [options]',
    options: [
      ['--to <value>', 'Phone number, email, or contact name'], ['--chat-id <value>', 'Chat rowid (alternative to --to)'],
      ['--chat-identifier <value>', 'Chat identifier (e.g. chat123…)'], ['--chat-guid <value>', 'Chat guid'],
      ['--text <value>', 'Message body'], ['--file <value>', 'Path to attachment'],
      ['--service <value>', 'Service to use: imessage|sms|auto'], ['--region <value>', 'Default region for phone normalization'],
      DB_OPTION, ...RUNTIME_OPTIONS,
    ],
    examples: ['imsg send --to "+14155551212" --text "hi"', 'imsg send --chat-id 1 --text "hi" --file ~/Desktop/pic.jpg'],
    available: () => true,
  },
  {
    name: 'status', summary: 'Show setup and feature status', usage: 'imsg status [options]',
    options: [DB_OPTION, ...RUNTIME_OPTIONS], examples: ['imsg status --json'], available: (p) => p.richCliJson,
  },
  {
    name: 'rpc', summary: 'Run JSON-RPC over stdin/stdout', usage: 'imsg rpc [options]',
    options: [DB_OPTION, ...RUNTIME_OPTIONS], examples: ['imsg rpc', 'imsg rpc --db ~/Library/Messages/chat.db'],
    available: (p) => p.hasRpc,
  },
  {
    name: 'sim', summary: 'Simulator driver: init, inject, sent (Linux stand-in only)', usage: 'imsg sim <init|inject|sent> [options]',
    options: [
      ['init --db <path> [--me <handle>]', 'Create an empty chat.db with the Messages schema'],
      ['inject --from <handle> --text <text> [...]', 'Write inbound message rows the way Messages does'],
      ['sent [--since-rowid <n>] [--json|--text]', 'Print outgoing (is_from_me=1) rows (JSON lines by default)'],
    ],
    examples: ['imsg sim init --db /tmp/chat.db', 'imsg sim inject --db /tmp/chat.db --from +15555550123 --text hi', 'imsg sim inject --help'],
    available: () => true,
  },
];

export function findCommand(name: string, profile: VersionProfile): CommandHelp | undefined {
  return COMMANDS.find((c) => c.name === name && c.available(profile));
}

export function rootHelp(profile: VersionProfile): string {
  const lines = COMMANDS.filter((c) => c.available(profile)).map((c) => `  ${c.name}\t${c.summary}`);
  return [
    `imsg ${profile.version}`, 'Send and read iMessage / SMS from the terminal', '', 'Usage:', '  imsg <command> [options]', '',
    'Commands:', ...lines, '', "Run 'imsg <command> --help' for details.", '',
  ].join('\n');
}

export function commandHelp(command: CommandHelp): string {
  return [
    `imsg ${command.name}`, command.summary, '', 'Usage:', `  ${command.usage}`, '', 'Options:',
    ...command.options.map(([flags, description]) => `  ${flags}\t${description}`), '', 'Examples:',
    ...command.examples.map((e) => `  ${e}`), '',
  ].join('\n');
}

export const SIM_INJECT_HELP = `imsg sim inject
Write inbound message rows into chat.db the way Messages.app does (one transaction)

Usage:
  imsg sim inject --from <handle> [options]

Options:
  --db <path>\tchat.db to write (default $IMSG_SIM_DB or ~/Library/Messages/chat.db)
  --from <handle>\tSender (phone/email); for --from-me rows, the 1:1 peer
  --text <text>\tMessage text
  --service <imessage|sms>\tService of the 1:1 chat (default imessage)
  --group <rowid>\tDeliver into group chat with this ROWID (created if missing)
  --group-guid <guid>\tDeliver into the group chat with this guid
  --name <name>\tGroup display name (renames an existing group)
  --participants <a,b>\tOther group members
  --tahoe\tNew group gets a macOS 26 style guid (any;+;<hex>)
  --chat-id <rowid>\tDeliver into this existing chat
  --attachment <path>\tAttach a file (copied into the Messages attachments folder; repeatable)
  --missing-attachment <name>\tAttachment row whose file is missing (pruned/offloaded; repeatable)
  --attributed-only\tStore the text only in attributedBody (text column NULL)
  --reply-to <guid>\tInline reply to this message (thread_originator_guid)
  --tapback <kind>\tWrite a tapback instead (love|like|dislike|laugh|emphasis|question|custom)
  --target <guid>\tMessage the tapback reacts to
  --emoji <emoji>\tEmoji of a custom tapback
  --remove\tThe tapback removes an earlier one
  --from-me\tA message you sent from another device (is_from_me=1)
  --unjoined\tNo chat_message_join row (imsg reports chat_id 0)
  --date <iso>\tDate of the row (default now)
  --count <n>\tWrite n rows in one transaction (texts get " #1".." #n")

Prints one JSON line per row: {"rowid":…,"guid":"…","chat_id":…}
`;

/** The permission banner (0.7.0+), whose first line is the underlying SQLite error. */
export function permissionBanner(dbPath: string, underlying: string): string {
  return `${underlying}

⚠️  Permission Error: Cannot access Messages database

The Messages database at ${dbPath} requires Full Disk Access permission.

To fix:
1. Open System Settings → Privacy & Security → Full Disk Access
2. Add your terminal application and any parent launcher (VS Code, Node, gateway, etc.)
3. Also add the built-in Terminal.app if you normally use another terminal
4. Toggle stale entries off and on after terminal/Homebrew/app updates
5. Restart the terminal or parent app, then try again

Note: This is required because macOS protects the Messages database.
For more details, see: https://github.com/steipete/imsg#permissions-troubleshooting`;
}

/** 0.3.0–0.6.x: Swift's default rendering of the error enum. */
export function permissionEnumDump(dbPath: string, underlying: string): string {
  return `permissionDenied(path: "${dbPath}", underlying: ${underlying})`;
}

/** Open errors imsg maps to the permission banner. */
export function isPermissionOpenError(text: string): boolean {
  return /out of memory \(14\)|authorization denied|unable to open database|cannot open/.test(text);
}

export const FDA_DENIED_UNDERLYING = 'authorization denied (code: 23)';
export const PARSE_ERROR_DATA = 'The data couldn’t be read because it isn’t in the correct format.';
export const LINUX_SEND_FAILURE = 'Sending requires Messages.app automation and is only supported on macOS.';
/** What AppleScript reports when macOS refuses the app control of Messages (Automation denied; spec §1.7). */
export const AUTOMATION_DENIED_FAILURE = 'Not authorized to send Apple events to Messages. (-1743)';
/** AppleScript's answer when nobody answered the Automation prompt in time (errAETimeout). */
export const AUTOMATION_TIMEOUT_FAILURE = 'Messages got an error: AppleEvent timed out. (-1712)';
/** Messages with no iMessage account has no iMessage service to send through (inferred wording). */
export const NOT_SIGNED_IN_FAILURE = 'Messages got an error: Can’t get service 1 whose service type = iMessage. Invalid index. (-1719)';
export const BRIDGE_UNAVAILABLE = 'Failed to launch Messages.app: Messages.app is only available on macOS.';
