// An error meant for a person: what went wrong and what to do about it, with the control API's
// error code (contract ControlErrorCode). Any layer may throw it (the channel for an unknown
// account, pairing for a damaged file, the services for a bad request); the control server sends
// code, message and fix to the client as they are, and the CLI prints them. Anything else thrown
// becomes `internal`.
import type { ControlErrorCode } from '../../contract/gateway-api';
import type { FieldIssue } from '../../contract/setup';

export class ActionableError extends Error {
  override readonly name = 'ActionableError';
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly fix?: string,
    /** Per-field problems of a rejected config or account write (nothing was written). */
    readonly issues?: FieldIssue[],
  ) {
    super(message);
  }
}
