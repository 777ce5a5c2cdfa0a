import { describe, expect, it } from 'vitest';
import { SIGN_IN_LINK_TTL_MS, SignInLinks } from './sign-in';

describe('SignInLinks', () => {
  it('redeems a code once, and never after it expired', () => {
    let now = 0;
    const links = new SignInLinks(() => now);
    const code = links.mint();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(links.redeem(code)).toBe(true);
    expect(links.redeem(code)).toBe(false);
    const late = links.mint();
    now += SIGN_IN_LINK_TTL_MS;
    expect(links.redeem(late)).toBe(false);
    expect(links.redeem(undefined)).toBe(false);
    expect(links.redeem('')).toBe(false);
  });
});
