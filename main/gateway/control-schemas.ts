// Runtime validation of everything a control API client sends: the request frame and the params
// of each method. Params objects are strict (an unknown key is a client bug worth reporting, not
// something to ignore). The typed table below fails to compile when a schema drifts from
// contract/gateway-api.ts.
import { z } from 'zod';
import type { ControlParams } from '../../contract/gateway-api';
import { isValidPairingCode, normalizePairingCode } from '../pairing/codes';
import type { ServiceMethod } from './services';

const empty = z.strictObject({});
const accountId = z.string().trim().min(1).max(64);
const limit = z.int().min(1).max(5000);

// Malformed codes are refused here, but still count against the approve/deny rate limit (the
// server takes the token before validating).
const pairingCode = z
  .string()
  .max(64)
  .transform(normalizePairingCode)
  .refine(isValidPairingCode, 'a pairing code is 8 characters from A–Z (no I or O) and 2–9, e.g. ABCD2345');

export const requestFrameSchema = z.object({
  type: z.literal('req'),
  id: z.string().min(1).max(128),
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

export const connectParamsSchema = z.strictObject({
  token: z.string().max(1024),
  client: z.strictObject({ name: z.string().min(1).max(64), version: z.string().max(64).optional() }),
  protocol: z.int(),
});

const sendParams = z
  .strictObject({
    target: z.string().trim().min(1).max(1024),
    text: z.string().max(64 * 1024).optional(),
    media: z.string().trim().min(1).max(4096).optional(),
    accountId: accountId.optional(),
    service: z.enum(['imessage', 'sms', 'auto']).optional(),
  })
  .refine((p) => (p.text !== undefined && p.text.length > 0) || p.media !== undefined, {
    message: 'give text, media, or both',
  });

function isPhoneOrEmail(value: string): boolean {
  if (/^\+?[0-9 ().-]+$/.test(value)) return value.replace(/\D/g, '').length >= 3;
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

// Demo mode's "receive a message" form: the sender must look like what Messages would show (a
// phone number or an email address), so the pairing flow behaves as it does for real senders.
const demoSender = z
  .string()
  .trim()
  .min(1, 'give the sender, e.g. +15555550123 or someone@example.com')
  .max(64)
  .refine(isPhoneOrEmail, 'the sender must be a phone number (e.g. +15555550123) or an email address');

const demoInjectParams = z.strictObject({
  from: demoSender,
  text: z.string().max(4000).refine((t) => t.trim().length > 0, 'the message is empty'),
  group: z
    .strictObject({
      id: z.int().min(1).max(2 ** 31 - 1),
      name: z.string().trim().min(1).max(100).optional(),
    })
    .optional(),
});

export const PARAM_SCHEMAS: { [M in ServiceMethod]: z.ZodType<ControlParams<M>, unknown> } = {
  status: empty,
  'channels.probe': z.strictObject({ accountId: accountId.optional() }),
  'channels.restart': z.strictObject({ accountId: accountId.optional() }),
  'pairing.list': empty,
  'pairing.approve': z.strictObject({ code: pairingCode, notify: z.boolean().optional() }),
  'pairing.deny': z.strictObject({ code: pairingCode }),
  'pairing.revoke': z.strictObject({ sender: z.string().trim().min(1).max(320) }),
  'allowlist.list': empty,
  'accessLog.tail': z.strictObject({ limit: limit.optional() }),
  'message.send': sendParams,
  'config.get': empty,
  'config.patch': z.strictObject({ patch: z.record(z.string(), z.unknown()) }),
  'logs.tail': z.strictObject({ limit: limit.optional() }),
  'gateway.restart': empty,
  'demo.inject': demoInjectParams,
  'demo.sent': z.strictObject({ limit: z.int().min(1).max(100).optional() }),
};

/** `params.code: a pairing code is …; params.notify: expected boolean` */
export function describeIssues(error: z.ZodError, prefix = 'params'): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].join('.');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}
