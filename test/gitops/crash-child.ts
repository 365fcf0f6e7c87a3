/**
 * Child process of the crash test: runs the CLI's canary and synth commands against one
 * repository in an endless cycle (start, weight, weight, promote, rollback, synth --repo), printing
 * `begin <n> <command>` before each, until the test kills it with SIGKILL at a random moment.
 * argv: <repo> <agent id> <where in the cycle to begin>. Runs in the project directory (cwd). An
 * operation the agent's state does not allow (e.g. a skipped weight step) just fails and the cycle
 * goes on.
 */
import { main } from '../../src/cli.js';

const [repo, agent, offset] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4] ?? 0)];
const cycle: string[][] = [
  ['canary', 'rollback', agent, '--no-validate'],
  ['canary', 'start', agent, '--model-id', 'gpt-4.1-nano', '--no-validate'],
  ['canary', 'weight', agent, '10', '--no-validate', '--force', '--reason', 'crash test'],
  ['canary', 'weight', agent, '25', '--force', '--reason', 'crash test'],
  ['canary', 'promote', agent, '--no-validate', '--force', '--reason', 'crash test'],
  ['synth', '--repo', repo, '--force', '--quiet'],
];
// Quiet: the test reads only the `begin` lines.
console.log = () => undefined;
for (let n = offset; ; n++) {
  const argv = cycle[n % cycle.length]!;
  process.stdout.write(`begin ${n} ${argv.slice(0, 2).join(' ')}\n`);
  await main([...argv, ...(argv[0] === 'canary' ? ['--repo', repo] : [])]);
}
