/**
 * `-o junit`: one testsuite per file, one testcase per resource (kubeconform's shape), a
 * <failure> per error finding; files that could not be read are testcases with an <error>.
 */
import { formatObject, type Report } from '../types.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(report: Report): string {
  const byFile = new Map<string, Report['results'][number][]>();
  for (const r of report.results) {
    const list = byFile.get(r.file) ?? [];
    list.push(r);
    byFile.set(r.file, list);
  }
  const s = report.summary;
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="agent-canary validate" tests="${report.results.length}" failures="${s.invalid}" errors="${s.errors}">`];
  for (const [file, results] of byFile) {
    const failures = results.filter((r) => r.status === 'invalid').length;
    const errors = results.filter((r) => r.status === 'error').length;
    const skipped = results.filter((r) => r.status === 'skipped').length;
    out.push(`  <testsuite name="${esc(file)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">`);
    for (const r of results) {
      const name = r.object ? formatObject(r.object) : `${file}:${r.line}`;
      out.push(`    <testcase name="${esc(name)}" classname="${esc(file)}">`);
      if (r.status === 'skipped') out.push('      <skipped/>');
      for (const f of r.findings) {
        const tag = r.status === 'error' ? 'error' : 'failure';
        if (f.severity === 'warning' && r.status !== 'invalid') continue;
        out.push(`      <${tag} message="${esc(`[${f.ruleId}] ${f.message}`)}" type="${esc(f.ruleId)}">${esc(`${f.file}:${f.line} ${f.path ?? ''}\n${f.message}\nFix: ${f.fix ?? ''}`)}</${tag}>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
