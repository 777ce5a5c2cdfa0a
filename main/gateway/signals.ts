// SIGTERM/SIGINT for a gateway that owns its process (`clawdbot gateway`; the app and tests pass
// `signals: false`): a graceful stop, then exit. A second signal, or a stop that takes longer than
// FORCED_EXIT_MS, exits at once.
import type { Logger } from '../util/logger';

/** After SIGTERM/SIGINT, exit even if the graceful stop has not finished. */
const FORCED_EXIT_MS = 5000;

/** Installs the handlers; returns the function that removes them. */
export function installSignalHandlers(stop: (reason?: string) => Promise<void>, log: Logger): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      log.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    received = true;
    setTimeout(() => {
      log.error(`graceful stop took longer than ${FORCED_EXIT_MS} ms; exiting`);
      process.exit(1);
    }, FORCED_EXIT_MS).unref();
    stop(`gateway stopping (${signal})`).then(
      () => process.exit(0),
      (error: Error) => {
        log.error(`gateway stop failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
