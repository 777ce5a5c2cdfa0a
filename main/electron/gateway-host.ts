// Hosting the gateway in the app's main process: start, pause/resume, restart, quit, and recovery.
//
//   - start: startGateway() with the app's options. A failure is shown with Retry; a taken port is
//     diagnosed (port-conflict.ts) and the choices are "use that Clawdbot gateway" or "another port".
//   - recovery: an error inside the gateway (an uncaught exception or rejection in the process, a
//     failed in-process restart, the gateway stopping by itself) never takes the app down: the
//     gateway is stopped and started again after a backoff that grows while it keeps failing.
//   - quit: stop the gateway (every imsg stopped, state flushed) within QUIT_DEADLINE_MS, then the
//     caller exits whatever happened.
//
// All of it runs one operation at a time (SerialQueue), so a click during a restart waits for it.
// Electron-free: the glue calls these methods; tests drive them with the real gateway.
import type { GatewayConnection } from '../../contract/bridge';
import { Emitter } from '../../contract/emitter';
import type { ControlClient } from '../../contract/control-client';
import { CONTROL_METHODS, type ControlEvent, type ControlEvents, type ControlParams, type ControlResult, type ServiceMethod } from '../../contract/control-api';
import type { GatewayHandle, StartGatewayOptions } from '../gateway/start';
import { backoffDelay, type BackoffPolicy } from '../util/backoff';
import type { Logger } from '../util/logger';
import { SerialQueue } from '../util/serial-queue';
import type { GatewayPhase, PortConflict } from './app-state';
import { takenPort } from './port-conflict';



/** The gateway as the app talks to it: its own (hosted) or another one it uses (attached). */
export interface GatewayLink {
  /** Null while an in-process restart is between stop and start. */
  connection(): GatewayConnection | null;
  call<M extends ServiceMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>>;
  on<E extends ControlEvent>(event: E, listener: (payload: ControlEvents[E]) => void): () => void;
}

/** The same services the control API serves, called in-process: one code path with the CLI and the screens. */
export function hostedLink(handle: GatewayHandle): GatewayLink {
  return {
    connection() {
      try {
        return { url: handle.url, wsUrl: handle.wsUrl, token: handle.token, mode: 'hosted' };
      } catch {
        return null; // restarting in-process
      }
    },
    // Validated exactly as the control server validates a client's params (trimmed, codes normalized).
    call: (method, params) => {
      const validated: unknown = CONTROL_METHODS[method].params.parse(params);
      return (handle.services[method] as (p: unknown) => Promise<ControlResult<typeof method>>)(validated);
    },
    on: (event, listener) => handle.services.on(event, listener),
  };
}

export function attachedLink(client: ControlClient, connection: GatewayConnection): GatewayLink {
  return { connection: () => connection, call: (method, params) => client.request(method, params), on: (event, listener) => client.on(event, listener) };
}

/** Quit stops the gateway within this bound, then the app exits regardless. */
export const QUIT_DEADLINE_MS = 3000;
/** Running this long forgives earlier crashes (the next one restarts after the shortest delay). */
export const CRASH_FORGIVE_MS = 60_000;
export const CRASH_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.2 };

export interface GatewayHostDeps {
  startGateway(options: StartGatewayOptions): Promise<GatewayHandle>;
  /** The options of the next start (the chosen port may have changed). */
  options(): StartGatewayOptions;
  diagnose(port: number): Promise<PortConflict>;
  /** Connects to the Clawdbot gateway holding `port` with a token that opens it. */
  attach(port: number): Promise<{ client: ControlClient; connection: GatewayConnection }>;
  /** Remembers the port the person chose after a conflict. */
  choosePort(port: number): void;
  logger: Logger;
  /** Tests: a shorter backoff, a fixed jitter. */
  backoff?: BackoffPolicy;
  random?: () => number;
}

export interface HostEvents {
  phase: GatewayPhase;
  /** The gateway to talk to changed (started, attached, stopped: null). */
  link: GatewayLink | null;
}

export class GatewayHost {
  readonly events = new Emitter<HostEvents>();
  private current: GatewayPhase = { kind: 'starting' };
  private handle: GatewayHandle | null = null;
  private client: ControlClient | null = null;
  private activeLink: GatewayLink | null = null;
  private readonly queue = new SerialQueue();
  private crashes = 0;
  private runningSince = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private quitting = false;

  constructor(private readonly deps: GatewayHostDeps) {}

  get phase(): GatewayPhase {
    return this.current;
  }

  get link(): GatewayLink | null {
    return this.activeLink;
  }

  start(): Promise<void> {
    return this.queue.run(() => this.startNow());
  }

  /** Stops the gateway and every imsg; nothing is answered until resume(). */
  pause(): Promise<void> {
    return this.queue.run(async () => {
      this.cancelRetry();
      await this.stopNow('paused from the menu');
      this.setPhase({ kind: 'paused' });
    });
  }

  resume(): Promise<void> {
    return this.start();
  }

  retry(): Promise<void> {
    return this.start();
  }

  /** In-process restart of our gateway (the config is read again; an invalid one is refused). */
  restart(): Promise<void> {
    return this.queue.run(async () => {
      if (!this.handle) return this.startNow();
      await this.handle.restart();
    });
  }

  usePort(port: number): Promise<void> {
    this.deps.choosePort(port);
    return this.start();
  }

  /** Uses the Clawdbot gateway that holds our port instead of starting one. */
  useRunningGateway(): Promise<void> {
    return this.queue.run(async () => {
      const phase = this.current;
      if (phase.kind !== 'failed' || phase.conflict?.kind !== 'clawdbot') return;
      try {
        const { client, connection } = await this.deps.attach(phase.conflict.port);
        this.client = client;
        client.onClose(() => void this.queue.run(() => this.lostAttached(client, phase.conflict!.port)));
        this.setLink(attachedLink(client, connection));
        this.setPhase({ kind: 'running', mode: 'attached', port: phase.conflict.port });
      } catch (error) {
        this.setPhase({ ...phase, message: `Could not use the gateway on port ${phase.conflict.port}: ${errorText(error)}` });
      }
    });
  }

  /**
   * Something threw inside the gateway (reported by the host process's uncaught-exception and
   * unhandled-rejection handlers): stop it and start it again after the backoff.
   */
  crashed(error: unknown): void {
    void this.queue.run(() => this.recover(error));
  }

  /** Stops everything within `deadlineMs`; resolves 'stopped', or 'timed-out' when the stop did not finish in time. */
  async shutdown(deadlineMs = QUIT_DEADLINE_MS): Promise<'stopped' | 'timed-out'> {
    this.quitting = true;
    this.cancelRetry();
    this.setPhase({ kind: 'stopping' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<'timed-out'>((resolve) => (timer = setTimeout(() => resolve('timed-out'), deadlineMs)));
    // Not queued: quitting must not wait behind a start that hangs.
    const stopped = this.stopNow('Clawdbot is quitting').then(() => 'stopped' as const, () => 'stopped' as const);
    const outcome = await Promise.race([stopped, deadline]);
    clearTimeout(timer);
    if (outcome === 'timed-out') this.deps.logger.error(`the gateway did not stop within ${deadlineMs} ms; quitting anyway`);
    return outcome;
  }

  private async startNow(): Promise<void> {
    if (this.quitting) return;
    this.cancelRetry();
    if (this.handle || this.client) await this.stopNow('starting again');
    this.setPhase({ kind: 'starting' });
    let handle: GatewayHandle;
    try {
      handle = await this.deps.startGateway(this.deps.options());
    } catch (error) {
      await this.startFailed(error);
      return;
    }
    if (this.quitting) {
      await handle.stop('Clawdbot is quitting');
      return;
    }
    this.handle = handle;
    this.runningSince = Date.now();
    // The gateway stopping by itself (a failed in-process restart rejects `closed`) is a crash.
    handle.closed.then(
      () => this.handle === handle && this.crashed(new Error('the gateway stopped by itself')),
      (error: unknown) => this.handle === handle && this.crashed(error),
    );
    this.setLink(hostedLink(handle));
    this.setPhase({ kind: 'running', mode: 'hosted', port: handle.port });
  }

  private async startFailed(error: unknown): Promise<void> {
    const message = errorText(error);
    const fix = (error as { fix?: unknown }).fix;
    this.deps.logger.error(`the gateway could not start: ${message}`);
    const port = takenPort(error);
    const conflict = port === undefined ? undefined : await this.deps.diagnose(port).catch(() => undefined);
    this.setPhase({ kind: 'failed', message, ...(typeof fix === 'string' ? { fix } : {}), ...(conflict ? { conflict } : {}) });
  }

  private async recover(error: unknown): Promise<void> {
    if (this.quitting || this.current.kind === 'paused') return;
    this.deps.logger.error(`error inside the gateway: ${errorText(error)}; restarting it`, { stack: (error as Error)?.stack });
    if (this.runningSince && Date.now() - this.runningSince >= CRASH_FORGIVE_MS) this.crashes = 0;
    await this.stopNow('restarting after an error').catch(() => {});
    const delay = backoffDelay(this.crashes++, this.deps.backoff ?? CRASH_BACKOFF, this.deps.random);
    this.setPhase({ kind: 'crashed', error: errorText(error), retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => void this.start(), delay);
  }

  private async lostAttached(client: ControlClient, port: number): Promise<void> {
    if (this.client !== client || this.quitting) return;
    this.client = null;
    this.setLink(null);
    this.setPhase({ kind: 'failed', message: `The Clawdbot gateway on port ${port} stopped.`, fix: 'Retry starts Clawdbot\'s own gateway.' });
  }

  private async stopNow(reason: string): Promise<void> {
    const handle = this.handle;
    const client = this.client;
    this.handle = null;
    this.client = null;
    if (handle || client) this.setLink(null);
    client?.close();
    await handle?.stop(reason);
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private setLink(link: GatewayLink | null): void {
    this.activeLink = link;
    this.events.emit('link', link);
  }

  private setPhase(phase: GatewayPhase): void {
    this.current = phase;
    this.events.emit('phase', phase);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
