// The fake model server in its own process, so that a benchmark measures only the gateway's CPU.
//   node --import tsx test/channel/fake-model-process.ts
// Prints `{"url":"http://127.0.0.1:<port>"}` once listening; echoes (the instant model) until
// stdin closes.
import { startFakeModelServer } from '../support/fake-model-server';

const server = await startFakeModelServer({ record: false });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
