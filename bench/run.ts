// `npm run bench` — how fast and light the gateway is, measured on the real gateway process
// against the imsg simulator and an instantly answering fake model. Prints a table (our figures
// beside the original's and the goals) and writes every figure to bench/results/latest.json.
//
//   node --import tsx bench/run.ts [--quick] [--smoke] [--only cold,idle,pairing,agent,debounce,bursts,groups,kill,storm,ui] [--out FILE]
//
//   --quick   shorter runs (idle memory sampled at 10 s and 20 s instead of 10 s and 60 s, fewer
//             samples); --smoke: tiny sizes, for the test that keeps this script from rotting.
//   --profile DIR   run every gateway under `node --cpu-prof` (one .cpuprofile per gateway process
//             in DIR; open in Chrome DevTools → Performance, or VS Code). Figures are then slower.
// Needs `npm run build:node` (the npm script does it) and, for the web UI figures, a renderer
// build (`npx electron-vite build`) and Chromium.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, setGatewayNodeArgs } from './lib/rig';
import { fmt, type Summary } from './lib/stats';
import * as scenarios from './scenarios';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: join(repoRoot, 'bench', 'results', 'latest.json') },
    profile: { type: 'string' },
  },
});
if (values.profile) setGatewayNodeArgs(['--cpu-prof', `--cpu-prof-dir=${values.profile}`]);

const SIZES = values.smoke
  ? { cold: 1, idle: [1, 2], pairing: 3, agent: 3, debounce: 2, bursts: [20], group: 50, kills: 1, killBurst: 40, storm: 50, ui: 1 }
  : values.quick
    ? { cold: 5, idle: [10, 20], pairing: 50, agent: 100, debounce: 10, bursts: [100, 500, 5000], group: 5000, kills: 3, killBurst: 1000, storm: 1000, ui: 3 }
    : { cold: 10, idle: [10, 60], pairing: 100, agent: 200, debounce: 20, bursts: [100, 500, 5000], group: 5000, kills: 3, killBurst: 1000, storm: 1000, ui: 5 };

const ALL = ['cold', 'idle', 'pairing', 'agent', 'debounce', 'bursts', 'groups', 'kill', 'storm', 'ui'] as const;
type ScenarioName = (typeof ALL)[number];
const only = new Set((values.only?.split(',').map((s) => s.trim()) ?? ALL) as ScenarioName[]);
for (const name of only) if (!ALL.includes(name)) throw new Error(`--only: unknown scenario "${name}" (known: ${ALL.join(', ')})`);

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  os: `${process.platform} ${release()}`,
};

const results: Record<string, unknown> = {};
async function step<T>(name: ScenarioName, label: string, run: () => Promise<T>): Promise<T | undefined> {
  if (!only.has(name)) return undefined;
  process.stderr.write(`bench: ${label}… `);
  const started = Date.now();
  const result = await run();
  process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  results[name] = result;
  return result;
}

const cold = await step('cold', 'cold start', () => scenarios.coldStart(SIZES.cold));
const idle = await step('idle', `idle memory (${SIZES.idle.join(' s, ')} s)`, () => scenarios.idleMemory(SIZES.idle));
const pairing = await step('pairing', `pairing replies (${SIZES.pairing})`, () => scenarios.pairingReply(SIZES.pairing));
const agent = await step('agent', `agent replies (${SIZES.agent})`, () => scenarios.agentReply(SIZES.agent));
const debounce = await step('debounce', `agent replies with imsg's real 500 ms debounce (${SIZES.debounce})`, () => scenarios.agentReply(SIZES.debounce, 500));
const bursts = await step('bursts', `bursts of ${SIZES.bursts.join('/')} approved DMs`, () => scenarios.dmBursts(SIZES.bursts));
const groups = await step('groups', `burst of ${SIZES.group} group messages without mention`, () => scenarios.groupBurst(SIZES.group));
const kill = await step('kill', `imsg killed ${SIZES.kills}× idle and ${SIZES.kills}× during ${SIZES.killBurst} messages`, () => scenarios.imsgKilled(SIZES.kills, SIZES.killBurst));
const storm = await step('storm', `${SIZES.storm} hostile control connections`, () => scenarios.controlStorm(SIZES.storm));
const ui = await step('ui', `web UI (${SIZES.ui})`, () => scenarios.ui(SIZES.ui));

// ------------------------------------------------------------------------------------------------
// The table
// ------------------------------------------------------------------------------------------------

const ms = (s: Summary | undefined) => (s ? `${fmt(s.median)} ms (p90 ${fmt(s.p90)}, p99 ${fmt(s.p99)})` : '–');
const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? 'yes' : '**no**');

interface Row {
  figure: string;
  original: string;
  goal: string;
  ours: string;
  met?: boolean;
}

const rows: Row[] = [];
if (cold)
  rows.push({
    figure: 'cold start to iMessage channel listening',
    original: '2.96 s (19 s on first start)',
    goal: '≤ 0.3 s',
    ours: `${fmt(cold.listeningMs.median / 1000, ' s')} (first start ${fmt(cold.firstStartMs / 1000, ' s')}; node alone ${fmt(cold.nodeBareMs.median / 1000, ' s')})`,
    met: cold.listeningMs.median <= 300,
  });
if (idle) {
  const last = idle.samples[idle.samples.length - 1];
  const first = idle.samples[0];
  rows.push({
    figure: 'resident memory of the gateway at idle',
    original: '315 MB (415 MB with its helpers)',
    goal: '≤ 60 MB',
    ours: last ? `${fmt(last.rssMb, ' MB')} after ${last.afterS} s (${fmt(first!.rssMb, ' MB')} after ${first!.afterS} s; peak ${fmt(last.peakMb, ' MB')})` : '–',
    met: last ? last.rssMb <= 60 : undefined,
  });
}
if (pairing)
  rows.push({
    figure: 'unknown DM → pairing reply sent (send received by imsg)',
    original: '3.9 ms (p90 7.7 ms)',
    goal: '≤ 2 ms, p99 ≤ 10 ms',
    ours: `${ms(pairing.endToEndMs)}; gateway's share ${fmt(pairing.gatewayMs.median)} ms; ${fmt(pairing.cpuMsPerMessage)} ms CPU`,
    met: pairing.endToEndMs.median <= 2 && pairing.endToEndMs.p99 <= 10,
  });
if (agent)
  rows.push({
    figure: 'approved DM → agent reply sent, model answering instantly',
    original: '63.9 ms, 55 ms CPU per message',
    goal: '≤ 5 ms, ≤ 3 ms CPU per message',
    ours: `${ms(agent.endToEndMs)}, ${fmt(agent.cpuMsPerMessage)} ms CPU per message; gateway's share ${fmt(agent.gatewayMs.median)} ms`,
    met: agent.endToEndMs.median <= 5 && agent.cpuMsPerMessage <= 3,
  });
const b500 = bursts?.find((b) => b.messages === 500);
if (b500)
  rows.push({
    figure: '500 approved DMs arriving at once (instant model)',
    original: '76–84 answered, rest dropped',
    goal: '500 answered, none dropped, total ≤ 2 s',
    ours: `${b500.answered} answered, ${b500.missing} dropped, ${b500.doubled} doubled, ${fmt(b500.totalMs / 1000, ' s')} total`,
    met: b500.answered === 500 && b500.missing === 0 && b500.doubled === 0 && b500.totalMs <= 2000,
  });
if (kill) {
  const idleMedian = [...kill.idleRecoveryMs].sort((a, b) => a - b)[Math.floor(kill.idleRecoveryMs.length / 2)]!;
  rows.push({
    figure: 'imsg rpc killed',
    original: 'channel stops silently, never restarts',
    goal: 'listening again ≤ 1 s after the kill, 0 lost, 0 doubled',
    ours: `listening again after ${kill.idleRecoveryMs.map((x) => fmt(x)).join(' / ')} ms (idle), ${kill.burstRecoveryMs.map((x) => fmt(x)).join(' / ')} ms (during a ${kill.burst}-message burst); ${kill.missing} lost, ${kill.doubled} doubled`,
    met: idleMedian <= 1000 && Math.max(...kill.burstRecoveryMs) <= 1000 && kill.missing === 0 && kill.doubled === 0,
  });
}

// Our extra figures (no original counterpart).
const extra: [string, string][] = [];
if (debounce) extra.push(["approved DM → reply sent, with the real imsg's 500 ms watch debounce (what a user sees)", ms(debounce.endToEndMs)]);
for (const b of bursts ?? []) extra.push([`${b.messages} approved DMs at once`, `${b.answered} answered, ${b.missing} dropped, ${b.doubled} doubled in ${fmt(b.totalMs / 1000, ' s')}; ${fmt(b.cpuMsPerMessage)} ms CPU per message`]);
if (groups) extra.push([`${groups.messages} group messages without mention at once`, `${groups.skipped} skipped, ${groups.answered} answered, ${groups.missing} unhandled in ${fmt(groups.totalMs / 1000, ' s')}; ${fmt(groups.cpuMsPerMessage, ' ms')} CPU per message`]);
if (idle) extra.push(['gateway CPU while idle', `${fmt(idle.idleCpuMsPerMin)} ms per minute`]);
if (cold) extra.push(['control API listening after spawn', `${fmt(cold.apiMs.median)} ms`]);
if (storm) {
  extra.push([
    `\`status\` answered during ${storm.attempts} hostile control connections (goal: slowest < 1 s)`,
    `slowest ${fmt(storm.stormStatusMs.max)} ms, median ${fmt(storm.stormStatusMs.median)} ms (idle: median ${fmt(storm.idleStatusMs.median)} ms)`,
  ]);
}
if (ui) {
  extra.push(['web UI bundle (out/renderer, gzip -9)', ui.built ? `${fmt(ui.bundleGzipKb, ' KB')} gzipped (${fmt(ui.bundleKb, ' KB')} raw)` : 'not built']);
  extra.push(['new pairing request → visible in the web UI', ui.showRequestMs ? `${ms(ui.showRequestMs)} after the request is stored; ${fmt(ui.injectToRowMs!.median)} ms after the message arrives` : (ui.skipped ?? '–')]);
}

const lines = [
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.os}${values.smoke ? ' (SMOKE RUN: tiny sizes, figures not meaningful)' : values.quick ? ' (quick run)' : ''}`,
  '',
  '| figure (median) | original | our goal | Clawdbot for Mac | goal met |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.figure} | ${r.original} | ${r.goal} | ${r.ours} | ${verdict(r.met)} |`),
  '',
  '| more figures | Clawdbot for Mac |',
  '|---|---|',
  ...extra.map(([figure, value]) => `| ${figure} | ${value} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);

mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, `${JSON.stringify({ date: new Date().toISOString(), mode: values.smoke ? 'smoke' : values.quick ? 'quick' : 'full', machine, table: rows, more: extra, results }, null, 2)}\n`);
process.stderr.write(`bench: wrote ${values.out}\n`);
