// What the control server needs from the rest of the gateway: one async function per control
// method (contract/gateway-api.ts `ControlMethods`, except `connect`, which the server handles
// itself) and a source of the events it pushes to clients.
//
// The server only authenticates, validates, rate-limits and routes; everything it serves comes
// through this interface. The gateway composition (startGateway) implements it over the channel
// manager, pairing store, config and log hub; tests implement it in memory.
import type {
  ControlEvent,
  ControlEvents,
  ControlMethod,
  ControlParams,
  ControlResult,
} from '../../contract/gateway-api';

/** Every control method a service answers (all of them but the handshake). */
export type ServiceMethod = Exclude<ControlMethod, 'connect'>;

export type ServiceHandlers = {
  [M in ServiceMethod]: (params: ControlParams<M>) => Promise<ControlResult<M>>;
};

export type EventListener<E extends ControlEvent> = (payload: ControlEvents[E]) => void;

export interface GatewayEventSource {
  /** Subscribes to one kind of event; returns the function that unsubscribes. */
  on<E extends ControlEvent>(event: E, listener: EventListener<E>): () => void;
}

export type GatewayServices = ServiceHandlers & GatewayEventSource;

/** Every method name, in a stable order (the server's dispatch table is checked against it). */
export const SERVICE_METHODS = [
  'status',
  'channels.probe',
  'channels.restart',
  'pairing.list',
  'pairing.approve',
  'pairing.deny',
  'pairing.revoke',
  'allowlist.list',
  'accessLog.tail',
  'message.send',
  'config.get',
  'config.patch',
  'logs.tail',
  'gateway.restart',
  'demo.inject',
  'demo.sent',
] as const satisfies readonly ServiceMethod[];

// Compile-time check that the list above names every method (a new contract method that is not
// listed here makes this line fail).
type MissingMethods = Exclude<ServiceMethod, (typeof SERVICE_METHODS)[number]>;
const everyMethodListed: [MissingMethods] extends [never] ? true : MissingMethods = true;
void everyMethodListed;

export const CONTROL_EVENTS = ['health', 'pairing', 'accessLog', 'log', 'shutdown'] as const satisfies readonly ControlEvent[];
type MissingEvents = Exclude<ControlEvent, (typeof CONTROL_EVENTS)[number]>;
const everyEventListed: [MissingEvents] extends [never] ? true : MissingEvents = true;
void everyEventListed;
