// What the control server needs from the rest of the gateway: one async function per control
// method (contract/control-api.ts CONTROL_METHODS, except `connect`, which the server handles
// itself) and a source of the events it pushes to clients.
//
// The server only authenticates, validates, rate-limits and routes; everything it serves comes
// through this interface. The gateway composition (services-impl.ts) implements it over the
// channel, pairing store, config and log hub; tests implement it in memory.
import type { ControlEvent, ControlEvents, ControlResult, ServiceMethod, ValidatedParams } from '../../contract/control-api';

/** One handler per method; each receives its params as validated by the server. */
export type ServiceHandlers = {
  [M in ServiceMethod]: (params: ValidatedParams<M>) => Promise<ControlResult<M>>;
};

export type EventListener<E extends ControlEvent> = (payload: ControlEvents[E]) => void;

export interface GatewayEventSource {
  /** Subscribes to one kind of event; returns the function that unsubscribes. */
  on<E extends ControlEvent>(event: E, listener: EventListener<E>): () => void;
}

export type GatewayServices = ServiceHandlers & GatewayEventSource;
