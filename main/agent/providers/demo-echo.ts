// The demo assistant: a stand-in "model" for demo mode when no real model is configured, so a
// newcomer can try pairing → approve → reply end to end without an API key. It is not an AI: it
// answers every message with `Demo assistant (no AI model configured): you said “<text>”`.
//
// Only demo mode selects it (main/gateway/demo.ts `withDemoAssistant`); the normal model
// resolution (agent/model-config.ts) knows nothing about it, so a real gateway never answers
// with it. It has the ModelProvider shape so the demo can swap in a real provider the same way.
import { DEMO_ECHO_MODEL } from '../../../contract/constants';
import { CURRENT_MESSAGE_HEADER } from '../history-format';
import { ModelError } from './errors';
import type { CompletionRequest, CompletionResult, ModelProvider } from './types';

export { DEMO_ECHO_MODEL };

/** Longer messages are cut in the echo (the echo is a demonstration, not a transcript). */
export const DEMO_ECHO_MAX_CHARS = 500;

/** The demo assistant's answer to a message whose text is `text`. */
export function demoEchoText(text: string): string {
  const said = text.length > DEMO_ECHO_MAX_CHARS ? `${text.slice(0, DEMO_ECHO_MAX_CHARS)}…` : text;
  return `Demo assistant (no AI model configured): you said “${said}”`;
}

/**
 * What the person wrote, taken back out of the inbound envelope the agent is given
 * (agent/envelope.ts): the current message only (after skipped group history), without the
 * `[iMessage …]` header, the group sender prefix, attachment lines and the quoted reply.
 */
export function currentMessageText(envelope: string): string {
  const marker = envelope.lastIndexOf(CURRENT_MESSAGE_HEADER);
  let text = (marker >= 0 ? envelope.slice(marker + CURRENT_MESSAGE_HEADER.length) : envelope).trim();

  const header = /^\[iMessage ([^\]\n]*)\] ?/.exec(text);
  if (header) {
    text = text.slice(header[0].length);
    // Group labels are `<chat name> id:<chat id>`, and group bodies start with `<sender>: `.
    const isGroup = / id:\d+(?: |$)/.test(header[1]!);
    const sender = /^(\+?[0-9][0-9 ().-]*|[^\s@:]+@[^\s:]+): /.exec(text);
    if (isGroup && sender) text = text.slice(sender[0].length);
  }

  const reply = text.lastIndexOf('\n\n[Replying to ');
  if (reply >= 0 && text.trimEnd().endsWith('[/Replying]')) text = text.slice(0, reply);
  const lines = text.split('\n');
  while (lines.length > 1 && /^\[attachment[ :]/.test(lines[lines.length - 1]!)) lines.pop();
  return lines.join('\n').trim();
}

/** A ModelProvider that echoes the last user turn (see the file comment). */
export function createDemoEchoProvider(): ModelProvider {
  return {
    async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
      if (signal?.aborted) throw new ModelError('aborted', 'demo assistant: the request was cancelled', { provider: 'demo' });
      const last = [...request.turns].reverse().find((turn) => turn.role === 'user');
      return { text: demoEchoText(currentMessageText(last?.text ?? '')), stopReason: 'end_turn' };
    },
  };
}
