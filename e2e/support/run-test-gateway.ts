// Runs the browser-test gateway by hand, to look at the web UI:
//   npx electron-vite build && npm run build:node && node --import tsx e2e/support/run-test-gateway.ts [--demo]
// Prints the signed-in URL; every Enter makes a new stranger text the simulated Mac (a real pairing
// request); Ctrl-C stops.
import { createInterface } from 'node:readline';
import { startTestGateway } from './test-gateway';

const gateway = await startTestGateway({
  demo: process.argv.includes('--demo'),
  accounts: [
    { id: 'default', name: 'Personal' },
    { id: 'work', imsg: 'crashing' },
  ],
});
let next = 1;
const stranger = () => `+1555000${String(next++).padStart(4, '0')}`;
await gateway.simulate.pairingRequest(stranger());

console.log(`Web UI: ${gateway.uiUrl}`);
console.log('Press Enter to add a pairing request, Ctrl-C to stop.');

const input = createInterface({ input: process.stdin });
input.on('line', () => {
  gateway.simulate.pairingRequest(stranger()).then(
    (request) => console.log(`pairing request ${request.code} from ${request.id}`),
    (error: Error) => console.log(error.message),
  );
});
process.once('SIGINT', () => {
  input.close();
  void gateway.close().then(() => process.exit(0));
});
