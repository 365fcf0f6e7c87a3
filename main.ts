/**
 * The cdk8s app entry (`app: npx tsx main.ts` in cdk8s.yaml), so `cdk8s synth` works as well as
 * `agent-canary synth`: it synthesizes fleet/ with policies/ into the output folder cdk8s names
 * (CDK8S_OUTDIR, `dist` otherwise), one file per object in the agent-canary layout rather than
 * cdk8s' one file per Chart. The App itself is built in src/synth/synthesize.ts.
 */
import { run } from './src/synth/command.js';

const outdir = process.env['CDK8S_OUTDIR'];
process.exitCode = await run([...(outdir ? ['--out', outdir] : []), ...process.argv.slice(2)]);
