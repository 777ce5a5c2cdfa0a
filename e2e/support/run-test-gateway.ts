// Runs the browser-test gateway by hand, to look at the web UI:
//   npx electron-vite build && node --import tsx e2e/support/run-test-gateway.ts [--demo]
// Prints the signed-in URL; adds a pairing request every time you press Enter; Ctrl-C stops.
import { createInterface } from 'node:readline';
import { accountHealth } from './fake-gateway-services';
import { startTestGateway } from './test-gateway';

const gateway = await startTestGateway({
  demo: process.argv.includes('--demo'),
  accounts: [
    accountHealth('default', { name: 'Personal', simulated: process.argv.includes('--demo') }),
    accountHealth('work', {
      state: 'backing-off',
      restarts: 1,
      retryAt: new Date(Date.now() + 60_000).toISOString(),
      lastError: { message: 'imsg rpc exited (code 1)', fix: 'Grant Full Disk Access to the app', fatal: false, at: new Date().toISOString() },
    }),
  ],
});
let next = 1;
await gateway.simulate.pairingRequest(`+1555000${String(next++).padStart(4, '0')}`);

console.log(`Web UI: ${gateway.uiUrl}`);
console.log('Press Enter to add a pairing request, Ctrl-C to stop.');

const input = createInterface({ input: process.stdin });
input.on('line', () => {
  gateway.simulate.pairingRequest(`+1555000${String(next++).padStart(4, '0')}`).then(
    (request) => console.log(`pairing request ${request.code} from ${request.id}`),
    (error: Error) => console.log(error.message),
  );
});
process.once('SIGINT', () => {
  input.close();
  void gateway.close().then(() => process.exit(0));
});
