import { describe, expect, it } from 'vitest';
import { CONTROL_SUBPROTOCOL, controlSubprotocols, tokenFromSubprotocols } from './control-subprotocol';

describe('control subprotocols', () => {
  it('carry the token as an HTTP token (base64url) and give it back', () => {
    for (const token of ['q3J8vZ0mXr2LwP9sT4yK1bN6hD5gF7cA8eR0uI2oQ1w', 'with/slash+plus=equals~!', 'x']) {
      const offered = controlSubprotocols(token);
      expect(offered[0]).toBe(CONTROL_SUBPROTOCOL);
      expect(offered[1]).toMatch(/^clawdbot-token\.[A-Za-z0-9_-]+$/);
      expect(tokenFromSubprotocols(offered)).toBe(token);
    }
  });

  it('do not offer a token that cannot be carried, and find none where there is none', () => {
    expect(controlSubprotocols('tökén with spaces')).toEqual([CONTROL_SUBPROTOCOL]);
    expect(tokenFromSubprotocols([CONTROL_SUBPROTOCOL, 'other'])).toBeUndefined();
    expect(tokenFromSubprotocols(['clawdbot-token.%%%'])).toBeUndefined();
  });
});
