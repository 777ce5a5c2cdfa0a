// The macOS Automation permission as imsg meets it when its AppleScript drives Messages
// (System Settings › Privacy & Security › Automation). imsg cannot ask for it ahead of time: the
// first send raises the macOS prompt and waits for the person's click; a refusal (then and
// forever after, until reset) fails the send with -1743. IMSG_SIM_AUTOMATION picks the answer.
import { readFileSync } from 'node:fs';
import type { SimSettings } from './settings';
import { AUTOMATION_DENIED_FAILURE, AUTOMATION_TIMEOUT_FAILURE } from './texts';

/** How often a send waiting on the prompt looks for the answer file. */
const ANSWER_POLL_MS = 20;

/**
 * What macOS answers when a send tries to drive Messages: null when allowed, else the AppleScript
 * failure reason. In `pending` mode this waits until the answer file exists (its content "deny",
 * "denied" or "don't allow" is a refusal, anything else an OK) or the timeout passes. The file
 * stays, so later sends get the same answer at once, as macOS remembers it.
 */
export async function automationAnswer(settings: Pick<SimSettings, 'automation' | 'automationAnswer' | 'automationTimeoutMs'>): Promise<string | null> {
  switch (settings.automation) {
    case 'granted':
      return null;
    case 'denied':
      return AUTOMATION_DENIED_FAILURE;
    case 'pending':
      return waitForAnswer(settings.automationAnswer, settings.automationTimeoutMs);
  }
}

async function waitForAnswer(answerPath: string | null, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (answerPath !== null) {
      const answer = readAnswer(answerPath);
      if (answer !== undefined) return answer;
    }
    const left = deadline - Date.now();
    if (left <= 0) return AUTOMATION_TIMEOUT_FAILURE;
    await new Promise((resolve) => setTimeout(resolve, Math.min(ANSWER_POLL_MS, left)));
  }
}

/** undefined while the prompt is unanswered (no file yet); null = allowed; else the refusal. */
function readAnswer(path: string): string | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return /\b(deny|denied|don['’]?t allow)\b/i.test(text) ? AUTOMATION_DENIED_FAILURE : null;
}
