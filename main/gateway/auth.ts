// The gateway token: the one secret every control API client (CLI, app, web UI) presents.
//
// Where it comes from, first match wins:
//   1. config `gateway.auth.token`
//   2. env `CLAWDBOT_GATEWAY_TOKEN`
//   3. the token file `<stateDir>/gateway.token`, generated on first start (32 random bytes,
//      base64url, mode 0600, in a 0700 state dir). The CLI and the app read the same file.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ControlError } from '../../contract/gateway-api';
import { preserveCorruptFile, readFileIfExists } from '../util/atomic-file';
import { silentLogger, type Logger } from '../util/logger';

export const TOKEN_FILE_NAME = 'gateway.token';
export const TOKEN_ENV_VAR = 'CLAWDBOT_GATEWAY_TOKEN';
/** Shortest token we accept from config, env or file (a generated one has 43 characters). */
export const MIN_TOKEN_LENGTH = 16;

export type TokenSource = 'config' | 'env' | 'file' | 'generated';

export interface GatewayToken {
  token: string;
  source: TokenSource;
  /** The token file, when the token came from (or was written to) it. */
  path?: string;
}

export function tokenFilePath(stateDir: string): string {
  return join(stateDir, TOKEN_FILE_NAME);
}

/**
 * Returns why `token` is unusable, or null when it is fine. Printable ASCII without spaces keeps
 * it safe in an `Authorization` header, a URL fragment and a shell argument.
 */
export function tokenProblem(token: string): string | null {
  if (token.length < MIN_TOKEN_LENGTH) return `it is shorter than ${MIN_TOKEN_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'it contains spaces or non-ASCII characters';
  if (estimatedBits(token) < MIN_TOKEN_BITS) return 'it has almost no randomness (a few characters repeated)';
  return null;
}

/**
 * Fewest bits a token must carry by the estimate below. A random 16-character token scores ~60,
 * `openssl rand -hex 16` ~120, a generated token ~240; "A" × 43 scores 0 and "abab…" 1 per character.
 */
const MIN_TOKEN_BITS = 48;

/**
 * A rough upper bound of a token's randomness: its length times the Shannon entropy of its
 * character frequencies. It cannot tell a random token from a memorable one, only catch the
 * degenerate ones (one character repeated, two alternating), which is what a fix can name.
 */
function estimatedBits(token: string): number {
  const counts = new Map<string, number>();
  for (const char of token) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bitsPerChar = 0;
  for (const count of counts.values()) {
    const p = count / token.length;
    bitsPerChar -= p * Math.log2(p);
  }
  return bitsPerChar * token.length;
}

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Resolves the gateway token (see the precedence above); creates the token file when neither
 * config nor env provide one. A config or env token that is too weak is an error (the user set
 * it on purpose and must fix it); an unusable token file is moved aside and replaced.
 */
export async function loadOrCreateToken(
  stateDir: string,
  configToken?: string | null,
  envToken?: string | null,
  logger: Logger = silentLogger,
): Promise<GatewayToken> {
  const explicit: [TokenSource, string | null | undefined, string][] = [
    ['config', configToken, 'gateway.auth.token in the config file'],
    ['env', envToken, `the ${TOKEN_ENV_VAR} environment variable`],
  ];
  for (const [source, value, where] of explicit) {
    if (value === undefined || value === null || value.trim() === '') continue;
    const token = value.trim();
    const problem = tokenProblem(token);
    if (problem) {
      throw new Error(
        `The gateway token from ${where} is unusable: ${problem}. ` +
          `Use a long random value (e.g. the output of \`openssl rand -base64 32\`), or remove it to let the gateway generate one in ${tokenFilePath(stateDir)}.`,
      );
    }
    return { token, source };
  }

  const path = tokenFilePath(stateDir);
  const existing = await readTokenFile(path, logger);
  if (existing !== undefined) return { token: existing, source: 'file', path };

  const created = await createTokenFile(path);
  if (created.createdByUs) logger.info('generated a new gateway token', { path });
  return { token: created.token, source: created.createdByUs ? 'generated' : 'file', path };
}

/**
 * Reads the token file for a client (the CLI). Returns undefined when there is no file yet (the
 * gateway has never started with this state dir); throws a clear error when it cannot be read.
 */
export async function readToken(stateDir: string): Promise<string | undefined> {
  const path = tokenFilePath(stateDir);
  let text: string | undefined;
  try {
    text = await readFileIfExists(path);
  } catch (error) {
    throw new Error(`Cannot read the gateway token file ${path}: ${(error as Error).message}. Run the CLI as the user that runs the gateway.`);
  }
  if (text === undefined) return undefined;
  const token = text.trim();
  const problem = tokenProblem(token);
  if (problem) throw new Error(`The gateway token file ${path} is unusable (${problem}). Restart the gateway to regenerate it.`);
  return token;
}

/**
 * Where the token is, in words a person can act on: the token file, the config key, or the
 * environment variable. Paths only when `withPaths` (a visitor from another machine learns nothing
 * about this one's folders).
 */
export function describeTokenLocation(token: Pick<GatewayToken, 'source' | 'path'>, configPath: string, withPaths = true): string {
  if (token.source === 'config') return withPaths ? `gateway.auth.token in ${configPath}` : "gateway.auth.token in the gateway's config";
  if (token.source === 'env') return `the ${TOKEN_ENV_VAR} environment variable the gateway was started with`;
  return withPaths && token.path ? `the file ${token.path}` : `the ${TOKEN_FILE_NAME} file in the gateway's state dir`;
}

/** What a client presenting the wrong token is told (over HTTP and over the WebSocket alike). */
export const WRONG_TOKEN_ERROR: Readonly<ControlError> = {
  code: 'unauthorized',
  message: 'Wrong gateway token.',
  fix: 'Use the token from gateway.auth.token, CLAWDBOT_GATEWAY_TOKEN or the gateway.token file in the state dir.',
};

/**
 * Compares a presented token with the expected one in constant time. Both are hashed first, so
 * neither the content nor the length of the expected token leaks through timing.
 */
export function tokensEqual(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

async function readTokenFile(path: string, logger: Logger): Promise<string | undefined> {
  const text = await readFileIfExists(path);
  if (text === undefined) return undefined;
  const token = text.trim();
  const problem = tokenProblem(token);
  if (problem) {
    const aside = await preserveCorruptFile(path);
    logger.warn('the gateway token file was unusable; moved it aside and generating a new one', { path, aside, problem });
    return undefined;
  }
  // A token file others can read is a token others can use: tighten it instead of refusing to start.
  // A symlink is the person's choice of where the token lives: the file it points to is theirs, so
  // it is only reported, never changed.
  const link = await fs.lstat(path);
  const stat = link.isSymbolicLink() ? await fs.stat(path) : link;
  if ((stat.mode & 0o077) !== 0) {
    if (link.isSymbolicLink()) {
      const target = await fs.realpath(path);
      logger.warn(`the gateway token file is readable by other users: ${path} links to ${target} (mode ${(stat.mode & 0o777).toString(8)}); run \`chmod 600 ${target}\``, { path, target });
    } else {
      await fs.chmod(path, 0o600);
      logger.warn('the gateway token file was readable by other users; changed its mode to 0600', { path });
    }
  }
  return token;
}

/**
 * Creates the token file only if it does not exist: written to a temp file (0600, fsynced), then
 * hard-linked into place, which fails if another process created it first. Readers never see a
 * half-written file, and two gateways starting at once agree on one token.
 */
async function createTokenFile(path: string): Promise<{ token: string; createdByUs: boolean }> {
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const token = generateToken();
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${token}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.chmod(tmp, 0o600);
    await fs.link(tmp, path);
    return { token, createdByUs: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = (await fs.readFile(path, 'utf8')).trim();
    if (tokenProblem(theirs)) throw new Error(`The gateway token file ${path} was created concurrently but is unusable; delete it and start again.`);
    return { token: theirs, createdByUs: false };
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
