/**
 * `-o github`: workflow commands (`::error file=...,line=...::message`) that GitHub turns into
 * annotations on the pull request's diff, plus the Markdown summary written to
 * $GITHUB_STEP_SUMMARY when that variable is set.
 */
import { appendFileSync } from 'node:fs';
import { formatObject, type Report } from '../types.js';
import { renderMarkdown } from './markdown.js';

// Workflow command escaping, as in @actions/core.
const escData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escProp = (s: string) => escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function renderGithub(report: Report, env: NodeJS.ProcessEnv = process.env): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    const props = [
      f.file ? `file=${escProp(f.file.replace(/^\.\//, ''))}` : '',
      f.line ? `line=${f.line}` : '',
      `title=${escProp(`${f.ruleId}${f.object ? ` ${formatObject(f.object)}` : ''}${f.path ? ` ${f.path}` : ''}`)}`,
    ]
      .filter(Boolean)
      .join(',');
    lines.push(
      `::${f.severity === 'error' ? 'error' : 'warning'} ${props}::${escData(`${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}`)}`,
    );
  }
  const s = report.summary;
  lines.push(
    `agent-canary validate: ${s.resources} resources, ${s.errorFindings} errors, ${s.warningFindings} warnings`,
  );
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, renderMarkdown(report));
  return lines.join('\n') + '\n';
}
