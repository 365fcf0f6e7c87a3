/**
 * The load-test command the flagger-loadtester runs against the canary during analysis (policy
 * `loadTest.command`, default agent-canary.yaml `flagger.loadTestCommand`). The metric checks
 * fail with "no values found" when a canary gets no traffic, so a quiet agent needs it.
 *
 * A command is a template: `{url}` (the canary's in-cluster URL), `{name}`, `{namespace}` and
 * `{window}` (the metric window) are replaced; any other `{word}` is refused by the schemas.
 */

/**
 * One line, and no `{word}` but the placeholders `renderLoadTestCommand` replaces (a misspelt
 * placeholder would reach the load tester verbatim). Other braces (a JSON body) are fine.
 */
export const LOAD_TEST_COMMAND =
  '^(?![^\\n\\r]*\\{(?!(url|name|namespace|window)\\})[A-Za-z_]+\\})[^\\n\\r]+$';

/** The schema fragment of a command template (policy `loadTest.command`, cluster `flagger.loadTestCommand`). */
export const loadTestCommandSchema = {
  type: 'string',
  minLength: 1,
  pattern: LOAD_TEST_COMMAND,
  'x-problem': 'is not a load-test command template',
  'x-allowed':
    'one line; placeholders {url}, {name}, {namespace}, {window} (no other {word}), e.g. hey -z {window} -q 2 -c 1 {url}',
  'x-fix': 'write the command on one line and use only the listed placeholders',
} as const;

export interface LoadTestVars {
  readonly url: string;
  readonly name: string;
  readonly namespace: string;
  readonly window: string;
}

const COMMAND = new RegExp(LOAD_TEST_COMMAND);

export function renderLoadTestCommand(template: string, vars: LoadTestVars): string {
  if (!COMMAND.test(template))
    throw new RangeError(
      `load-test command ${JSON.stringify(template)} is not one line with only {url}, {name}, {namespace}, {window}`,
    );
  return template.replace(
    /\{(url|name|namespace|window)\}/g,
    (_m, k: keyof LoadTestVars) => vars[k],
  );
}
