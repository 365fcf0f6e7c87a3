/**
 * Markdown summary for a pull-request comment and the GitHub step summary. GitHub rejects
 * comments over 65,536 characters, so the table is cut to fit and says how many rows it left out.
 */
import { formatObject, type Report } from '../types.js';

export const MAX_COMMENT_BYTES = 64 * 1024;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderMarkdown(report: Report, maxBytes = MAX_COMMENT_BYTES): string {
  const s = report.summary;
  const icon = report.exitCode === 0 ? '✅' : report.exitCode === 1 ? '❌' : '⚠️';
  const head: string[] = [
    `### ${icon} agent-canary validate`,
    '',
    `${s.resources} resources in ${s.files} files: ${s.valid} valid, ${s.invalid} invalid, ${s.errors} errors, ${s.skipped} skipped; ${s.errorFindings} error findings, ${s.warningFindings} warnings.`,
    '',
  ];
  if (report.changes.length) {
    head.push('#### Live traffic changes', '', '| Agent | Change |', '|---|---|');
    for (const c of report.changes) head.push(`| \`${cell(c.agent)}\` | ${cell(c.summary)} |`);
    head.push('');
  }
  const rows = report.findings.map(
    (f) =>
      `| ${f.severity === 'error' ? '❌' : '⚠️'} | \`${cell(f.ruleId)}\` | \`${cell(f.file)}:${f.line}\`${f.path ? ` \`${cell(f.path)}\`` : ''} | ${cell(f.object ? formatObject(f.object) : '')} | ${cell(f.message)}${f.fix ? `<br>Fix: ${cell(f.fix)}` : ''} |`,
  );
  const parts = [...head];
  if (rows.length)
    parts.push(
      '#### Findings',
      '',
      '| | Rule | Location | Object | Message |',
      '|---|---|---|---|---|',
    );
  let text = parts.join('\n') + '\n';
  let size = Buffer.byteLength(text);
  let shown = 0;
  const reserve = 200; // room for the "left out" line
  for (const row of rows) {
    const b = Buffer.byteLength(row) + 1;
    if (size + b > maxBytes - reserve) break;
    text += row + '\n';
    size += b;
    shown++;
  }
  if (shown < rows.length)
    text += `\n_${rows.length - shown} more findings left out to keep this comment under ${Math.round(maxBytes / 1024)} KiB; run \`agent-canary validate\` locally for all of them._\n`;
  return text;
}
