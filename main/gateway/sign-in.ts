// One-time sign-in links for the web UI: `http://127.0.0.1:18789/#signin=<code>`.
//
// The gateway token lets its holder act as the person (change the config, send messages), so it is
// printed nowhere. What the gateway prints instead is a link whose code the web UI exchanges, once,
// for the token (`POST /sign-in`, http-routes.ts): a link left in a terminal's scrollback or a
// shell history is worth nothing after its first use, or after an hour. The codes live in memory
// only (a restart forgets them) and there are never more than a handful.
import { randomBytes } from 'node:crypto';
import { tokensEqual } from './auth';

/** How long a printed link works if nobody uses it. */
export const SIGN_IN_LINK_TTL_MS = 60 * 60_000;
/** Outstanding codes kept at most (the oldest is forgotten first). */
const MAX_CODES = 16;

export class SignInLinks {
  /** code → expiry time, oldest first. */
  private readonly codes = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new one-time code (256 random bits, base64url). */
  mint(): string {
    this.forgetExpired();
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, this.now() + SIGN_IN_LINK_TTL_MS);
    while (this.codes.size > MAX_CODES) this.codes.delete(this.codes.keys().next().value as string);
    return code;
  }

  /** True once for a code that was minted and has not expired; the code is then used up. */
  redeem(presented: unknown): boolean {
    this.forgetExpired();
    if (typeof presented !== 'string') return false;
    for (const code of this.codes.keys()) {
      if (tokensEqual(presented, code)) {
        this.codes.delete(code);
        return true;
      }
    }
    return false;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [code, expiresAt] of this.codes) if (expiresAt <= now) this.codes.delete(code);
  }
}
