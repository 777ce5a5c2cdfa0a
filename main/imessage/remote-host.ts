// Which Mac holds the Messages attachments when `cliPath` is an SSH wrapper script (spec
// imessage-channel.md §1a). The script is only read, never run. Instead of the original's two
// regexes we read the ssh command line the way ssh does (options with arguments, `-l user`,
// `ssh://` destinations, a `$HOST` set earlier in the script), and fall back to the original's
// patterns only when no ssh command can be parsed.
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from '../util/logger';

/** `user@host` or `host`: letters, digits, `.`, `_`, `-` (an IPv6 host in brackets); no leading `-`. */
export function isValidRemoteHost(value: string): boolean {
  return /^(?:[A-Za-z0-9._][A-Za-z0-9._-]*@)?(?:[A-Za-z0-9._][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])$/.test(value);
}

/** ssh options that take an argument (from ssh(1)). */
const SSH_OPTIONS_WITH_ARGUMENT = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));

/** Splits one shell line into words (quotes and backslashes honored); `;`, `|`, `&` end a command. */
function shellWords(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  const push = () => {
    if (word !== undefined) commands[commands.length - 1].push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word = (word ?? '') + line[++i];
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(ch)) {
      push();
    } else if (ch === '#' && word === undefined) {
      break; // comment
    } else if (ch === ';' || ch === '|' || ch === '&') {
      push();
      if (commands[commands.length - 1].length > 0) commands.push([]);
    } else {
      word = (word ?? '') + ch;
    }
  }
  push();
  return commands.filter((c) => c.length > 0);
}

/** Expands `$NAME`, `${NAME}` and `${NAME:-default}` from the script's own simple assignments. */
function expandVariables(word: string, variables: Map<string, string>): string | undefined {
  let unresolved = false;
  const expanded = word.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced, fallback, bare) => {
    const value = variables.get(braced ?? bare) ?? fallback;
    if (value === undefined) unresolved = true;
    return value ?? '';
  });
  return unresolved ? undefined : expanded;
}

/** The `user@host` / `host` an ssh argument list connects to, or undefined. */
function destinationOf(args: string[], variables: Map<string, string>): string | undefined {
  let user: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      return finish(args[i + 1]);
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Flags may be combined (`-tt`, `-Tq`); an option with an argument takes the rest of the
      // word or the next word (`-p22`, `-p 22`, `-oBatchMode=yes`).
      for (let j = 1; j < arg.length; j++) {
        if (!SSH_OPTIONS_WITH_ARGUMENT.has(arg[j])) continue;
        const value = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
        if (arg[j] === 'l' && value !== undefined) user = expandVariables(value, variables);
        if (arg[j] === 'o' && value !== undefined) {
          const match = /^user\s*[= ]\s*(.+)$/i.exec(value);
          if (match) user = expandVariables(match[1], variables);
        }
        break;
      }
      continue;
    }
    return finish(arg);
  }
  return undefined;

  function finish(raw: string | undefined): string | undefined {
    if (raw === undefined) return undefined;
    let dest = expandVariables(raw, variables);
    if (!dest) return undefined;
    const url = /^ssh:\/\/(?:([^@/]+)@)?(\[[^\]]+\]|[^:/]+)(?::\d+)?\/?$/i.exec(dest);
    if (url) dest = url[1] ? `${url[1]}@${url[2]}` : url[2];
    if (!dest.includes('@') && user) dest = `${user}@${dest}`;
    return isValidRemoteHost(dest) ? dest : undefined;
  }
}

/** The remote host an SSH wrapper script connects to, or undefined if it cannot be told. */
export function parseRemoteHostFromScript(script: string): string | undefined {
  const lines = script.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const variables = new Map<string, string>();
  let sawSsh = false;
  for (const line of lines) {
    for (const words of shellWords(line)) {
      // Simple assignments (`HOST=bot@mac`, `export HOST=…`) so `ssh "$HOST"` can be resolved.
      const assignment = words[0] === 'export' || words[0] === 'readonly' || words[0] === 'local' ? words.slice(1) : words;
      if (assignment.length === 1) {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(assignment[0]);
        if (match) {
          const value = expandVariables(match[2], variables);
          if (value !== undefined) variables.set(match[1], value);
          continue;
        }
      }
      const sshIndex = words.findIndex((w) => w === 'ssh' || w.endsWith('/ssh'));
      if (sshIndex < 0) continue;
      sawSsh = true;
      const host = destinationOf(words.slice(sshIndex + 1), variables);
      if (host) return host;
    }
  }
  return sawSsh ? undefined : parseLikeOriginal(lines);
}

/** The original's rules (§1a), for scripts whose ssh invocation we could not parse. */
function parseLikeOriginal(lines: string[]): string | undefined {
  const sshLines = lines.filter((line) => /\bssh\b/.test(line) && !/^\s*#/.test(line));
  for (const line of sshLines) {
    const match = /(?:^|\s)([A-Za-z0-9._-]+@[A-Za-z0-9._-]+)/.exec(line);
    if (match && isValidRemoteHost(match[1])) return match[1];
  }
  for (const line of sshLines) {
    const match = /\s([A-Za-z][A-Za-z0-9._-]*)\s+\S*imsg/.exec(line);
    if (match && match[1] !== 'ssh') return match[1];
  }
  return undefined;
}

async function resolveExecutable(cliPath: string, home: string, pathEnv: string | undefined): Promise<string | undefined> {
  if (cliPath === '~' || cliPath.startsWith('~/')) return join(home, cliPath.slice(1));
  if (cliPath.includes('/')) return cliPath;
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, cliPath);
    try {
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const MAX_SCRIPT_BYTES = 64 * 1024;

/**
 * Detects `remoteHost` from the wrapper script at `cliPath` (spec §1a). Returns undefined when
 * cliPath is plain `imsg`, cannot be read, is a binary, or has no recognizable ssh command.
 */
export async function detectRemoteHost(
  cliPath: string,
  options: { home?: string; pathEnv?: string; logger?: Logger } = {},
): Promise<string | undefined> {
  const trimmed = cliPath.trim();
  if (!trimmed || trimmed === 'imsg') return undefined;
  const path = await resolveExecutable(trimmed, options.home ?? homedir(), options.pathEnv ?? process.env.PATH);
  if (!path) return undefined;
  let text: string;
  try {
    const handle = await fs.open(path, 'r');
    try {
      if (!(await handle.stat()).isFile()) return undefined;
      const buffer = Buffer.alloc(MAX_SCRIPT_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, MAX_SCRIPT_BYTES, 0);
      const bytes = buffer.subarray(0, bytesRead);
      if (bytes.includes(0)) return undefined; // a compiled imsg binary, not a script
      text = bytes.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  const host = parseRemoteHostFromScript(text);
  if (host) options.logger?.debug(`imessage: detected remoteHost=${host} from cliPath`, { cliPath });
  return host;
}

/** The account's remoteHost: explicit config, else detected from its cliPath. */
export async function resolveRemoteHost(
  account: { remoteHost?: string; cliPath: string },
  options: { home?: string; pathEnv?: string; logger?: Logger } = {},
): Promise<string | undefined> {
  const explicit = account.remoteHost?.trim();
  if (explicit) return explicit;
  return detectRemoteHost(account.cliPath, options);
}
