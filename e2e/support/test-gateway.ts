// Starts a gateway for browser tests: the REAL control server (HTTP + WebSocket on 127.0.0.1, a
// free port, the real token file in a temp state dir, the real renderer build) over the stand-in
// services of fake-gateway-services.ts.
//
// The seam for the real gateway: once startGateway exists, make startTestGateway call it with the
// temp state dir, a config whose account uses the imsg simulator, and port 0, and implement the
// `simulate` helpers by injecting messages through the simulator (an unknown sender writing a DM
// creates a real pairing request). The specs only use what TestGateway exposes.
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccountHealth, PairingRequest } from '../../contract/gateway-api';
import { loadOrCreateToken } from '../../main/gateway/auth';
import { startControlServer, type ControlServerLimits } from '../../main/gateway/control-server';
import { removeInstanceFile, writeInstanceFile } from '../../main/gateway/instance-file';
import { createLogHub } from '../../main/util/logger';
import { accountHealth, createFakeGatewayServices, type FakeGatewayServices } from './fake-gateway-services';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RENDERER_BUILD_DIR = join(repoRoot, 'out', 'renderer');

export interface TestGateway {
  /** http://127.0.0.1:<port> */
  url: string;
  wsUrl: string;
  token: string;
  stateDir: string;
  /** The web UI, signed in: `<url>/#token=<token>`. */
  uiUrl: string;
  simulate: {
    /** An unknown sender asks for access; resolves with the pending request (and its code). */
    pairingRequest(senderId: string, meta?: Record<string, string>): Promise<PairingRequest>;
    /** Changes what an account reports (state, errors, …) and pushes a health event. */
    accountChange(accountId: string, patch: Partial<AccountHealth>): Promise<void>;
    /** Approved senders as the gateway sees them. */
    approvedSenders(): Promise<string[]>;
    pendingRequests(): Promise<PairingRequest[]>;
  };
  /** Stand-in internals; disappears with the real gateway. */
  services: FakeGatewayServices;
  /** Stops the control server (clients see a `shutdown` event and a close) and starts it again on the same port after `downMs`. */
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  demo?: boolean;
  accounts?: AccountHealth[];
  limits?: Partial<ControlServerLimits>;
  staticDir?: string;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const staticDir = options.staticDir ?? RENDERER_BUILD_DIR;
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${staticDir}/index.html is missing). Run \`npx electron-vite build\` first.`);
  }
  const stateDir = await fs.mkdtemp(join(tmpdir(), 'clawdbot-e2e-'));
  const logHub = createLogHub({ level: 'debug' });
  const { token } = await loadOrCreateToken(stateDir);
  const version = '0.1.0-test';
  const services = createFakeGatewayServices({
    stateDir,
    version,
    demo: options.demo ?? false,
    accounts: options.accounts ?? [accountHealth('default', { name: 'Personal' })],
    logHub,
  });
  const listen = (port: number) =>
    startControlServer({ host: '127.0.0.1', port, token, services, version, logger: logHub.logger('gateway'), staticDir, limits: options.limits });
  let server = await listen(0);
  services.setListening(server.host, server.port);
  await writeInstanceFile(stateDir, { pid: process.pid, port: server.port, host: server.host, url: server.url, startedAt: new Date().toISOString(), version });

  return {
    url: server.url,
    wsUrl: server.wsUrl,
    token,
    stateDir,
    uiUrl: `${server.url}/#token=${encodeURIComponent(token)}`,
    simulate: {
      async pairingRequest(senderId, meta = {}) {
        const result = await services.pairingStore.upsertRequest(senderId, meta);
        if (!result.request) throw new Error(`No pairing request created for ${senderId} (pending cap reached)`);
        return result.request;
      },
      accountChange: (accountId, patch) => services.updateAccount(accountId, patch),
      approvedSenders: () => services.pairingStore.readAllowFrom(),
      pendingRequests: () => services.pairingStore.list(),
    },
    services,
    async restart(downMs = 300) {
      await server.close({ reason: 'gateway restarting', restartExpectedMs: downMs });
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await listen(server.port);
    },
    async close() {
      await server.close();
      services.dispose();
      await removeInstanceFile(stateDir);
      await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
}
