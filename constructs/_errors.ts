/**
 * An input a construct cannot render: the message names the construct, the agent, the prop, the
 * value, what is allowed and the fix. The CLI reports it as bad input (exit 2), not as a crash.
 */
export class ConstructInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
