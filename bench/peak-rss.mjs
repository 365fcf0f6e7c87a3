// Preloaded into the benchmarked CLI processes (node --import): reports the process's peak
// resident memory (all threads) on stderr as it exits, so bench/scale.ts needs no /usr/bin/time.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  try {
    writeSync(2, `\n@@peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
  } catch {
    // stderr closed: the figure is simply missing
  }
});
