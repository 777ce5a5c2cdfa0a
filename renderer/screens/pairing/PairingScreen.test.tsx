// @vitest-environment happy-dom
// The Pairing screen over a fake gateway link: requests as they arrive, Approve (and texting the
// sender), Deny, Revoke with its confirmation, the empty state, and strangers' handles as text.
import { act, cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { PairingRequest } from '../../../contract/gateway-api';
import { renderApp } from '../../../e2e/support/render-app';

afterEach(cleanup);

function request(id: string, code: string): PairingRequest {
  const now = Date.now();
  return { id, code, createdAt: new Date(now - 120_000).toISOString(), lastSeenAt: new Date(now).toISOString(), expiresAt: new Date(now + 3_480_000).toISOString(), meta: { chatId: '7' } };
}

describe('the Pairing screen', () => {
  it('shows a request that arrives, named by its sender, and approves it (texting them when asked)', async () => {
    let requests: PairingRequest[] = [];
    const app = await renderApp({
      route: { screen: 'pairing' },
      handlers: {
        'pairing.list': () => ({ requests }),
        'pairing.approve': ({ code }) => {
          const approved = requests.find((r) => r.code === code)!;
          requests = requests.filter((r) => r.code !== code);
          return { approved, notified: true };
        },
      },
    });
    expect(screen.getByText('No pending requests.')).toBeTruthy();

    requests = [request('+15550001111', 'ABCD2345')];
    act(() => app.link.emit('pairing', { kind: 'requested', channel: 'imessage', senderId: '+15550001111', code: 'ABCD2345', at: new Date().toISOString() }));
    await app.settle();
    const card = screen.getByRole('listitem', { name: 'Request from +15550001111' });
    expect(within(card).getByText('ABCD2345')).toBeTruthy();
    expect(within(card).getByText('2 min ago')).toBeTruthy();
    expect(within(card).getByTestId('expires-in').textContent).toMatch(/^5[78]:\d\d$/);

    await userEvent.click(screen.getByRole('checkbox', { name: 'Text +15550001111 that they are approved' }));
    await userEvent.click(screen.getByRole('button', { name: 'Approve +15550001111' }));
    await app.settle();
    expect(app.link.callsOf('pairing.approve')).toEqual([{ code: 'ABCD2345', notify: true }]);
    expect(screen.getByText('Approved +15550001111 and texted them that they can chat with the assistant now.')).toBeTruthy();
  });

  it('approves without texting by default, denies, and says when the notice could not be sent', async () => {
    const requests = [request('a@example.com', 'ABCD2345'), request('+15550002222', 'EFGH6789')];
    const app = await renderApp({
      route: { screen: 'pairing' },
      handlers: {
        'pairing.list': () => ({ requests }),
        'pairing.approve': ({ code }) => ({ approved: requests.find((r) => r.code === code)!, notified: false }),
        'pairing.deny': ({ code }) => ({ denied: requests.find((r) => r.code === code)! }),
      },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Approve a@example.com' }));
    await app.settle();
    expect(app.link.callsOf('pairing.approve')).toEqual([{ code: 'ABCD2345' }]);
    expect(screen.getByText('Approved a@example.com. They can chat with the assistant now.')).toBeTruthy();

    await userEvent.click(screen.getByRole('button', { name: 'Deny +15550002222' }));
    await app.settle();
    expect(app.link.callsOf('pairing.deny')).toEqual([{ code: 'EFGH6789' }]);
    expect(screen.getByText('Denied the request from +15550002222.')).toBeTruthy();

    app.link.handle({ 'pairing.approve': ({ code }) => ({ approved: requests.find((r) => r.code === code)!, notified: false, notifyError: 'imsg is not running' }) });
    await userEvent.click(screen.getByRole('checkbox', { name: 'Text a@example.com that they are approved' }));
    await userEvent.click(screen.getByRole('button', { name: 'Approve a@example.com' }));
    await app.settle();
    expect(screen.getByText('Approved a@example.com, but the message telling them could not be sent: imsg is not running.')).toBeTruthy();
  });

  it('revokes an approved sender after a confirmation; config entries are listed apart, without Revoke', async () => {
    let approved = [{ id: '+15550001111' }];
    const app = await renderApp({
      route: { screen: 'pairing' },
      handlers: {
        'allowlist.list': () => ({ approved, configured: ['boss@example.com'] }),
        'pairing.revoke': ({ sender }) => {
          approved = approved.filter((a) => a.id !== sender);
          return { revoked: true };
        },
      },
    });
    const list = screen.getByRole('list', { name: 'Approved senders' });
    await userEvent.click(within(list).getByRole('button', { name: 'Revoke +15550001111' }));
    expect(app.link.callsOf('pairing.revoke')).toEqual([]);
    await userEvent.click(screen.getByRole('button', { name: 'Confirm revoke +15550001111' }));
    await app.settle();
    expect(app.link.callsOf('pairing.revoke')).toEqual([{ sender: '+15550001111' }]);
    expect(screen.getByText('Revoked +15550001111. Their next message gets a new pairing code.')).toBeTruthy();
    expect(screen.getByText('Nobody has been approved by pairing yet.')).toBeTruthy();
    const configured = screen.getByRole('list', { name: 'Allowed in the config' });
    expect(within(configured).getByText('boss@example.com')).toBeTruthy();
    expect(within(configured).queryByRole('button')).toBeNull();
  });

  it('shows a stranger’s handle as text, never as markup', async () => {
    const hostile = '<img src=x onerror="alert(1)">@example.com';
    await renderApp({ route: { screen: 'pairing' }, handlers: { 'pairing.list': () => ({ requests: [request(hostile, 'ABCD2345')] }) } });
    expect(screen.getByText(hostile)).toBeTruthy();
    expect(document.querySelector('img')).toBeNull();
  });

  it('escapes control and bidi characters in a handle (a sender cannot make the list lie), and names the account', async () => {
    // U+202E (right-to-left override) would show "+15550001111" reversed; ESC sequences and CR too.
    const hostile = '+1555\u202e1110001\u001b[2J\r';
    const app = await renderApp({
      route: { screen: 'pairing' },
      handlers: { 'pairing.list': () => ({ requests: [{ ...request(hostile, 'ABCD2345'), accountId: 'work', chatId: 9 }] }), 'pairing.deny': ({ code }) => ({ denied: request(hostile, code) }) },
    });
    const card = screen.getByRole('listitem', { name: 'Request from +1555\\u202e1110001\\x1b[2J\\r' });
    expect(card.textContent).not.toMatch(/[\u202e\u001b\r]/);
    expect(within(card).getByTestId('request-account').textContent).toBe('work');
    expect(within(card).getByText('9')).toBeTruthy();
    // The action still names the real request.
    await userEvent.click(within(card).getByRole('button', { name: /^Deny / }));
    await app.settle();
    expect(app.link.callsOf('pairing.deny')).toEqual([{ code: 'ABCD2345' }]);
  });

  it('explains pairing when nothing is pending, and shows "loading" (not "none") before the first answer', async () => {
    let answer: (value: { requests: PairingRequest[] }) => void = () => {};
    const app = await renderApp({ route: { screen: 'pairing' }, handlers: { 'pairing.list': () => new Promise((resolve) => (answer = resolve)) } });
    expect(screen.getByText('Loading pending requests…')).toBeTruthy();
    expect(screen.queryByText('No pending requests.')).toBeNull();
    act(() => answer({ requests: [] }));
    await app.settle();
    expect(screen.getByText(/It replies with an 8-character pairing code/)).toBeTruthy();
  });
});
