// Constants every side shares (gateway, CLI, app, web UI), each defined once. No zod and no
// imports: the renderer and the control client load this file at run time, and the browser bundle
// must not pull the schema library in with it (the schemas live in control-api.ts and config.ts,
// which the browser side imports with `import type` only).

/** The control protocol spoken over the WebSocket; `connect` refuses any other. */
export const CONTROL_PROTOCOL_VERSION = 1;
/** Largest frame the gateway accepts (bytes). Bigger frames close the socket with 1009. */
export const MAX_FRAME_BYTES = 256 * 1024;
/** The control API's port when neither --port, $CLAWDBOT_GATEWAY_PORT nor gateway.port says otherwise. */
export const DEFAULT_GATEWAY_PORT = 18789;
/** Path of the WebSocket endpoint on the gateway's port (`ws://127.0.0.1:18789/ws`). */
export const CONTROL_WS_PATH = '/ws';
/** The web UI's sign-in endpoint on the gateway's port (`GET`: where the token is; `POST`: redeem a link). */
export const SIGN_IN_PATH = '/sign-in';
/** URL fragment parameter of a one-time sign-in link: `http://127.0.0.1:18789/#signin=<code>`. */
export const SIGN_IN_FRAGMENT = 'signin';
/** `service` field of `GET /health`: how a second gateway recognizes the one holding its port. */
export const GATEWAY_SERVICE_ID = 'clawdbot-gateway';

/**
 * `status.model` of a demo gateway without a configured model: a built-in stand-in (not an AI)
 * answers `Demo assistant (no AI model configured): you said "…"` so pairing → approve → reply can
 * be tried end to end. A gateway outside demo mode never reports it.
 */
export const DEMO_ECHO_MODEL = 'demo/echo';

/**
 * How a message goes out: iMessage, SMS (through the iPhone), or whatever Messages picks. The
 * config's `channels.imessage.service` and `message.send`'s `service` take these values.
 */
export const IMESSAGE_SERVICES = ['imessage', 'sms', 'auto'] as const;
export type ImessageService = (typeof IMESSAGE_SERVICES)[number];
