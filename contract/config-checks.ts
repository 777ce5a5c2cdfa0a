// Checks of single config values that a type cannot express. config.ts attaches them to the
// fields (so they are reported together with type errors); each returns what is wrong and the fix.
// Pure TypeScript (no Node): the contract is also loaded where there is no `node:net`.
import { z } from 'zod';
import { suggest } from './suggest';

export interface FieldProblem {
  message: string;
  fix: string;
}

/** Characters a shell would interpret. cliPath is run directly (no shell), so they can only mean a mistake. */
const SHELL_CHARACTERS = /[;&|`$<>'"\\\n\r\0]/;
const BARE_COMMAND = /^[A-Za-z0-9._+][A-Za-z0-9._+-]*$/;
const WRAPPER_FIX =
  'cliPath is run directly, not through a shell, so it must name one executable. Put the command in a wrapper script ' +
  '(e.g. ~/bin/imsg-bot containing: exec ssh -T bot@mac-mini /opt/homebrew/bin/imsg "$@"), make it executable with ' +
  "chmod +x, and set cliPath to the script's path.";

function describeCharacter(ch: string): string {
  if (ch === '\n') return 'a line break';
  if (ch === '\r') return 'a carriage return';
  if (ch === '\0') return 'a NUL character';
  return `the shell character ${JSON.stringify(ch)}`;
}

/** A command name like "imsg", or a path (absolute, relative, `~/…`; spaces allowed). */
export function checkCliPath(cliPath: string): FieldProblem | undefined {
  const bad = SHELL_CHARACTERS.exec(cliPath);
  if (bad) return { message: `contains ${describeCharacter(bad[0])}`, fix: WRAPPER_FIX };
  const pathLike = cliPath.includes('/') || cliPath.startsWith('.') || cliPath.startsWith('~');
  if (!pathLike && !BARE_COMMAND.test(cliPath)) {
    return { message: 'is neither a command name (like "imsg") nor a path to an executable', fix: WRAPPER_FIX };
  }
  return undefined;
}

const REMOTE_HOST = /^(?:[A-Za-z0-9._][A-Za-z0-9._-]*@)?(?:[A-Za-z0-9._][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])$/;

/** `user@host` or `host`; it ends up in an `scp` argument, so nothing that could read as an option. */
export function checkRemoteHost(remoteHost: string): FieldProblem | undefined {
  if (REMOTE_HOST.test(remoteHost)) return undefined;
  return {
    message: 'is not an SSH destination of the form "user@host" or "host"',
    fix: 'Set it to the host your SSH wrapper connects to, e.g. "bot@mac-mini.local", or remove it to detect it from the wrapper.',
  };
}

/** Keys of `groups`: a chat_id (digits) or "*". */
export function checkGroupKey(key: string): FieldProblem | undefined {
  if (key === '*' || /^\d+$/.test(key)) return undefined;
  return {
    message: 'group keys must be a numeric chat_id or "*"',
    fix: 'Use the chat_id shown by `imsg chats` (e.g. "42"), or "*" for settings that apply to every group.',
  };
}

const ipv4 = z.ipv4();
const ipv6 = z.ipv6();
/** An IPv6 zone id (`fe80::1%en0`), in the characters Node's `net.isIP` accepts. */
const IPV6_ZONE = /^%[0-9A-Za-z.:-]+$/;

/**
 * An IPv4 or IPv6 address, with the same answers as Node's `net.isIP(value) !== 0` (the gateway
 * binds with Node; contract/config-checks.test.ts compares the two): dotted quads without leading
 * zeros, IPv6 in any compressed form, with an embedded IPv4 tail or a zone id.
 */
export function isIpAddress(value: string): boolean {
  if (ipv4.safeParse(value).success) return true;
  const zoneAt = value.indexOf('%');
  if (zoneAt === -1) return ipv6.safeParse(value).success;
  return IPV6_ZONE.test(value.slice(zoneAt)) && ipv6.safeParse(value.slice(0, zoneAt)).success;
}

/** "loopback" | "lan" | an IP address. */
export function checkBind(bind: string): FieldProblem | undefined {
  if (bind === 'loopback' || bind === 'lan' || isIpAddress(bind)) return undefined;
  const guess = suggest(bind, ['loopback', 'lan']);
  return {
    message: 'must be "loopback", "lan" or an IP address of this machine',
    fix: guess
      ? `Did you mean "${guess}"? Set gateway.bind to "${guess}".`
      : 'Use "loopback" (this Mac only, the default), or "lan" / an IP address (e.g. your Tailscale 100.x address) to accept connections from other machines; those also need gateway.auth.token.',
  };
}
