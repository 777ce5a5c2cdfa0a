// One setup check as a row: ✓ / ✗ / … with what was found and, when it is not fine, the fix.
import type { CheckState, SetupCheck } from '../../contract/setup';
import { FixView } from './FixView';
import { RichText } from './RichText';
import { RelativeTime } from './time';

export const CHECK_STATE_WORDS: Record<CheckState, string> = {
  ok: 'OK',
  // Not only "missing": an imsg too old for `rpc` and a Mac not signed in to iMessage are this state too.
  missing: 'Not set up',
  denied: 'Not allowed',
  pending: 'Waiting for you',
  unknown: 'Not known yet',
  'not-applicable': 'Not needed here',
};

const ICONS: Record<CheckState, string> = { ok: '✓', missing: '✗', denied: '✗', pending: '…', unknown: '?', 'not-applicable': '–' };

export const CHECK_TITLES: Record<SetupCheck['id'], string> = {
  imsg: 'imsg',
  messages: 'Messages',
  'full-disk-access': 'Full Disk Access',
  automation: 'Automation',
  ssh: 'SSH',
  model: 'Model',
};

export function CheckRow({ check, title, showFix = true }: { check: Pick<SetupCheck, 'state' | 'detail' | 'fix'> & { checkedAt?: string | null }; title: string; showFix?: boolean }) {
  return (
    <li className={`check check-${check.state}`} data-state={check.state}>
      <span className="check-icon" aria-hidden="true">
        {ICONS[check.state]}
      </span>
      <div className="check-body">
        <p className="check-title">
          <strong>{title}</strong>: {CHECK_STATE_WORDS[check.state]}
          {check.checkedAt && check.state !== 'unknown' ? (
            <span className="muted check-time">
              {' '}
              · checked <RelativeTime iso={check.checkedAt} />
            </span>
          ) : null}
        </p>
        <p className="check-detail">
          <RichText text={check.detail} />
        </p>
        {showFix && check.fix && check.state !== 'ok' && check.state !== 'not-applicable' ? <FixView fix={check.fix} /> : null}
      </div>
    </li>
  );
}
