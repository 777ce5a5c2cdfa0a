// The narrow RPC interface that senders, history reads and probes need, so they work with the live
// client, the supervisor's guarded view of it, or a test double alike.
import type { ImsgMethod, ImsgParams, ImsgResult } from '../../contract/imsg';

/** Typed imsg requests (contract/imsg.ts): params per method, results already validated. */
export interface ImsgRpc {
  call<M extends ImsgMethod>(method: M, params: ImsgParams<M>, options?: { timeoutMs?: number }): Promise<ImsgResult<M>>;
}
