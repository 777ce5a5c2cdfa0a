// The contract's IP check must give Node's answers: the config accepts a gateway.bind that the
// gateway then binds with Node, so a disagreement would be a config that validates but cannot start
// (or a valid address refused).
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBind, isIpAddress } from './config-checks';

const EXAMPLES = [
  '127.0.0.1', '0.0.0.0', '255.255.255.255', '100.64.0.1', '256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.04', '00.0.0.0', '0x7f.0.0.1',
  '1.2.3.4.5', ' 127.0.0.1', '127.0.0.1 ', '::', '::1', 'fe80::1', '1::', '2001:DB8::1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9',
  '1::2::3', '[::1]', '::ffff:127.0.0.1', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:01.2.3.4', '12345::', 'g::1',
  'fe80::1%eth0', 'fe80::1%1', 'fe80::1%a-b.c:d', 'fe80::1%', 'fe80::1%a b', 'fe80::1%a_b', 'fe80::1%a%b', '1.2.3.4%eth0', '::ffff:1.2.3.4%x',
  'lan', 'loopback', '', '%', ':', '.',
];

describe('isIpAddress', () => {
  it('agrees with net.isIP on hand-picked addresses and near misses', () => {
    for (const value of EXAMPLES) expect(isIpAddress(value), JSON.stringify(value)).toBe(isIP(value) !== 0);
  });

  it('agrees with net.isIP on generated addresses and address-like strings', () => {
    const zone = fc.constantFrom('en0', '1', 'a-b.c:d', '', 'a b', 'a_b', '%');
    const part = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.integer({ min: 0, max: 0x1ffff }).map((n) => n.toString(16)),
      fc.constantFrom('', '0', '00', 'ffff', 'FFFF', 'g', 'eth0', ' '),
    );
    const separator = fc.constantFrom('.', ':', '::', '%', '.', ':');
    const addressLike = fc.array(fc.tuple(part, separator), { minLength: 1, maxLength: 10 }).map((pieces) => pieces.flat().join('').slice(0, -1));
    const value = fc.oneof(
      fc.ipV4(),
      fc.ipV4Extended(), // octal and hex forms: not addresses for Node
      fc.ipV6(),
      fc.tuple(fc.ipV6(), zone).map(([address, id]) => `${address}%${id}`),
      fc.tuple(fc.ipV4(), zone).map(([address, id]) => `${address}%${id}`),
      addressLike,
    );
    fc.assert(
      fc.property(value, (candidate) => {
        expect(isIpAddress(candidate), JSON.stringify(candidate)).toBe(isIP(candidate) !== 0);
      }),
      { numRuns: 5_000 },
    );
  });

  it('lets checkBind accept IP addresses and refuse anything else with a fix', () => {
    expect(checkBind('192.168.1.20')).toBeUndefined();
    expect(checkBind('fe80::1%en0')).toBeUndefined();
    expect(checkBind('lan')).toBeUndefined();
    expect(checkBind('loopbak')).toEqual({ message: 'must be "loopback", "lan" or an IP address of this machine', fix: 'Did you mean "loopback"? Set gateway.bind to "loopback".' });
  });
});
