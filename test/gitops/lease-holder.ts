/**
 * Child process for the lease tests: takes the lease `argv[2]` (as another agent-canary process
 * would), prints `held`, and releases it when a line arrives on stdin (then prints `released`).
 */
import { createInterface } from 'node:readline';
import { withRepoLock } from '../../src/gitops/lock.js';

const lockFile = process.argv[2]!;
await withRepoLock(
  lockFile,
  lockFile,
  async () => {
    process.stdout.write('held\n');
    await new Promise<void>((resolve) =>
      createInterface({ input: process.stdin }).once('line', () => resolve()),
    );
  },
  { staleMs: Number(process.argv[3] ?? 20_000) },
);
process.stdout.write('released\n');
