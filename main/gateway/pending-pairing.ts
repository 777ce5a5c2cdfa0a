// The number of pending pairing requests that `status` reports. Read from the pairing store after
// every pairing event and at least once a minute, so requests that expire (which no event
// announces) leave the count too.
import type { PairingStore } from '../pairing/store';
import type { Logger } from '../util/logger';

/** Expired pairing requests disappear from the pending count at least this often. */
const PENDING_REFRESH_MS = 60_000;

export class PendingPairingCount {
  /** The count as last read (0 until the first read). */
  count = 0;
  private readonly timer: NodeJS.Timeout;

  /** `onChange` is called when the periodic re-read finds a different count. */
  constructor(
    private readonly pairing: PairingStore,
    private readonly log: Logger,
    onChange: () => void,
  ) {
    this.timer = setInterval(() => {
      const before = this.count;
      void this.refresh().then(() => {
        if (this.count !== before) onChange();
      });
    }, PENDING_REFRESH_MS);
    this.timer.unref();
  }

  /** Re-reads the count; a store that cannot be read keeps the last count (and is logged). */
  async refresh(): Promise<void> {
    try {
      this.count = (await this.pairing.list()).length;
    } catch (error) {
      this.log.warn(`pairing: cannot read pending requests: ${(error as Error).message}`);
    }
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
