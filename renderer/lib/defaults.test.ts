import { describe, expect, it } from 'vitest';
import { IMESSAGE_DEFAULTS } from '../../contract/config';
import { IMESSAGE_DEFAULTS_SHOWN } from './defaults';

describe('the defaults the screens show', () => {
  it('are the gateway’s own (contract/config.ts)', () => {
    for (const [key, value] of Object.entries(IMESSAGE_DEFAULTS_SHOWN)) {
      expect(IMESSAGE_DEFAULTS[key as keyof typeof IMESSAGE_DEFAULTS], key).toBe(value);
    }
  });
});
