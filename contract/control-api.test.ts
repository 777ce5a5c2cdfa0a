// The method and event tables are the one source of the control API: the lists, the validation
// and the types all come from them. These checks pin what the other sides rely on (the type checks
// run with `npm run typecheck`).
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ClawdbotConfig, ConfigPatch } from './config';
import {
  CONTROL_EVENTS,
  CONTROL_METHODS,
  isServiceMethod,
  SERVICE_METHODS,
  type ControlEvents,
  type ControlParams,
  type ControlResult,
  type ValidatedParams,
} from './control-api';
import type { GatewayStatus } from './gateway-api';

describe('the control API tables', () => {
  it('list every method a service answers (all but the handshake), in table order', () => {
    expect(SERVICE_METHODS).toEqual([
      'status',
      'channels.probe',
      'channels.restart',
      'pairing.list',
      'pairing.approve',
      'pairing.deny',
      'pairing.denyAll',
      'pairing.revoke',
      'allowlist.list',
      'accessLog.tail',
      'message.send',
      'config.get',
      'config.patch',
      'logs.tail',
      'gateway.restart',
      'setup.get',
      'setup.check',
      'setup.testSend',
      'setup.testModel',
      'setup.sshWrapper',
      'setup.testSsh',
      'setup.openSettings',
      'accounts.add',
      'accounts.update',
      'accounts.remove',
      'demo.inject',
      'demo.sent',
    ]);
    expect(Object.keys(CONTROL_METHODS)).toEqual(['connect', ...SERVICE_METHODS]);
    expect(CONTROL_EVENTS).toEqual(['health', 'pairing', 'accessLog', 'log', 'setup', 'shutdown']);
  });

  it('tell service methods from the handshake and from names that are not methods', () => {
    for (const method of SERVICE_METHODS) expect(isServiceMethod(method), method).toBe(true);
    for (const name of ['connect', 'nope', 'toString', '__proto__', 'constructor', 'hasOwnProperty', '']) expect(isServiceMethod(name), name).toBe(false);
  });

  it('validate params: clients send the input, services get the output', () => {
    const approve = CONTROL_METHODS['pairing.approve'].params.parse({ code: ' abcd2345 ' });
    expect(approve).toEqual({ code: 'ABCD2345' });
    expect(CONTROL_METHODS['message.send'].params.safeParse({ target: '+15550001111', service: 'fax' }).success).toBe(false);
    expect(CONTROL_METHODS['config.patch'].params.safeParse({ patch: { gateway: { bind: null } } }).success).toBe(true);
    for (const patch of [[], 'x', null, 1]) expect(CONTROL_METHODS['config.patch'].params.safeParse({ patch }).success, JSON.stringify(patch)).toBe(false);

    expectTypeOf<ControlParams<'pairing.approve'>>().toEqualTypeOf<{ code: string; notify?: boolean | undefined }>();
    expectTypeOf<ValidatedParams<'logs.tail'>>().toEqualTypeOf<{ limit?: number | undefined }>();
    expectTypeOf<ControlResult<'status'>>().toEqualTypeOf<GatewayStatus>();
    expectTypeOf<ControlEvents['shutdown']>().toEqualTypeOf<{ reason: string; restartExpectedMs?: number }>();
  });

  it('type config.get with the config in force and config.patch with a deep-partial patch where null deletes', () => {
    expectTypeOf<ControlResult<'config.get'>>().toEqualTypeOf<{ path: string; config: ClawdbotConfig; error: string | null }>();
    expectTypeOf<ControlResult<'config.patch'>['config']>().toEqualTypeOf<ClawdbotConfig>();
    expectTypeOf<ControlParams<'config.patch'>>().toEqualTypeOf<{ patch: ConfigPatch }>();

    // What the settings screens will send: nested changes, deletions, lists replaced whole.
    expectTypeOf({ channels: { imessage: { accounts: { work: { dmPolicy: 'allowlist' as const, allowFrom: ['+15550001111'] } } } } }).toMatchTypeOf<ConfigPatch>();
    expectTypeOf({ gateway: { bind: null }, channels: null }).toMatchTypeOf<ConfigPatch>();
    expectTypeOf({ agents: { defaults: { model: 'anthropic/claude-opus-4-5' } } }).toMatchTypeOf<ConfigPatch>();
    // …and what they cannot: a value the schema does not allow, a key it does not know.
    expectTypeOf({ channels: { imessage: { dmPolicy: 'nobody' as const } } }).not.toMatchTypeOf<ConfigPatch>();
    expectTypeOf({ gateway: { prot: 1 } }).not.toMatchTypeOf<ConfigPatch>();
  });
});
