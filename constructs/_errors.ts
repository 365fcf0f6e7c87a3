/**
 * An input a construct cannot render: the message names the construct, the agent, the prop, the
 * value, what is allowed and the fix. The CLI reports it as bad input (exit 2), not as a crash.
 */
import { AgentCanaryError } from '../src/errors/error.js';

export class ConstructInputError extends AgentCanaryError {
  constructor(message: string) {
    super('bad-request', message);
  }
}
