// The narrow RPC interface that outbound code needs (so it can be used with any client).

/** The part of the RPC client that senders and probes need. */
export interface ImsgRpc {
  request<T = unknown>(method: string, params?: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<T>;
}
