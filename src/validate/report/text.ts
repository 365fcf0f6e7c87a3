/** Default output: one line per finding, `file:line: severity [rule] object path: message. Fix: ...`, then a summary. */
import { formatObject, type Report } from '../types.js';

export function renderText(report: Report, opts: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : '';
    const obj = `${f.object ? ` ${formatObject(f.object)}` : ''}${f.path ? ` ${f.path}` : ''}`;
    lines.push(
      `${where}${f.severity} [${f.ruleId}]${obj}: ${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}`,
    );
  }
  if (opts.verbose) {
    for (const r of report.results)
      if (r.status === 'valid' || r.status === 'skipped')
        lines.push(`${r.file}:${r.line}: ${formatObject(r.object)} is ${r.status}`);
  }
  if (report.changes.length) {
    if (lines.length) lines.push('');
    lines.push('Live traffic changes:');
    for (const c of report.changes) lines.push(`  ${c.agent}: ${c.summary}`);
  }
  const s = report.summary;
  lines.push(
    `Summary: ${s.resources} resource${s.resources === 1 ? '' : 's'} found in ${s.files} file${s.files === 1 ? '' : 's'} - Valid: ${s.valid}, Invalid: ${s.invalid}, Errors: ${s.errors}, Skipped: ${s.skipped}; ${s.errorFindings} error${s.errorFindings === 1 ? '' : 's'}, ${s.warningFindings} warning${s.warningFindings === 1 ? '' : 's'}`,
  );
  return lines.join('\n') + '\n';
}
