#!/usr/bin/env node
// A measuring tap between the gateway and imsg, used as the account's `cliPath` by the latency
// benchmarks: it runs the real simulator ($IMSG_TAP_TARGET) with the same arguments, passes both
// directions through unchanged, and reports to the benchmark (a Unix socket, $IMSG_TAP_SOCKET)
// the moment imsg *writes* each `message` notification and the moment imsg *receives* each `send`
// request, on a clock shared by all processes (CLOCK_MONOTONIC via process.hrtime, in ms).
//
// Plain JavaScript so that it starts in milliseconds. The extra hop adds a few tens of µs in each
// direction, so the latencies measured through it are slightly pessimistic.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

const target = process.env.IMSG_TAP_TARGET;
if (!target) {
  process.stderr.write('imsg-tap: set IMSG_TAP_TARGET to the imsg executable to run\n');
  process.exit(2);
}
const now = () => Number(process.hrtime.bigint()) / 1e6;
const report = process.env.IMSG_TAP_SOCKET ? connect(process.env.IMSG_TAP_SOCKET) : null;
report?.on('error', () => {});
const emit = (record) => report?.write(`${JSON.stringify(record)}\n`);

const child = spawn(target, process.argv.slice(2), { stdio: ['pipe', 'pipe', 'inherit'] });
child.stdin.on('error', () => {});

/** Calls `onLine` for each complete line of a byte stream (latin1 keeps every byte intact). */
function lines(onLine) {
  let pending = '';
  return (chunk) => {
    const text = pending + chunk.toString('latin1');
    let start = 0;
    let newline;
    while ((newline = text.indexOf('\n', start)) >= 0) {
      onLine(text.slice(start, newline));
      start = newline + 1;
    }
    pending = text.slice(start);
  };
}

// gateway → imsg: requests. Timestamped when the chunk arrives, then forwarded.
let chunkAt = 0;
const scanIn = lines((line) => {
  if (!line.includes('"method":"send"')) return;
  try {
    const request = JSON.parse(Buffer.from(line, 'latin1').toString('utf8'));
    const params = request.params ?? {};
    emit({ kind: 'send', at: chunkAt, id: request.id, chatId: params.chat_id ?? null, to: params.to ?? null, text: params.text ?? '' });
  } catch {
    // Not a request we measure.
  }
});
process.stdin.on('data', (chunk) => {
  chunkAt = now();
  child.stdin.write(chunk);
  scanIn(chunk);
});
process.stdin.on('end', () => child.stdin.end());

// imsg → gateway: notifications. Forward first, then timestamp (the time it was handed on).
const scanOut = lines((line) => {
  if (!line.includes('"method":"message"')) return;
  try {
    const message = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')).params?.message ?? {};
    emit({ kind: 'message', at: now(), rowid: message.id ?? null, chatId: message.chat_id ?? null });
  } catch {
    // ignore
  }
});
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  scanOut(chunk);
});

child.on('exit', (code, signal) => {
  const finish = () => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1));
  process.stdout.write('', () => (report ? report.end(finish) : finish()));
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
