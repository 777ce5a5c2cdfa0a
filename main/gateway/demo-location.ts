// Where the demo gateway lives when no state dir is given: `<state dir>/demo` (~/.clawdbot/demo).
// It is kept across runs, so the demo's token, approvals and simulated conversation survive a
// restart of `npm start` (`--fresh` starts over), and the CLI looks there too: it finds the demo
// gateway without an environment variable. Kept apart from demo.ts so the CLI can ask where the
// demo is without loading the demo itself.
import { join } from 'node:path';

export const DEMO_DIR_NAME = 'demo';

/** The demo's state dir under a state dir: `<stateDir>/demo`. */
export function demoStateDir(stateDir: string): string {
  return join(stateDir, DEMO_DIR_NAME);
}
