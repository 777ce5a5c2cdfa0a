// Entry point of the `imsg` simulator bundle (out/node/imsg-sim.js, run by sim/bin/imsg).
// Nothing happens at import time beyond wiring; better-sqlite3 loads only when chat.db is touched.
import { main } from './lib/cli-main';

// The reader went away (EPIPE): end quietly, as the real imsg dies of SIGPIPE.
process.stdout.on('error', () => process.exit(1));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`imsg simulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
