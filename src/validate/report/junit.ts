/**
 * `-o junit`: one testsuite per file, one testcase per resource (kubeconform's shape), a
 * <failure> per error finding; files that could not be read are testcases with an <error>.
 */
import { formatObject, type Report } from '../types.js';

/**
 * Characters XML 1.0 cannot hold at all, not even as references: C0 controls other than tab, LF
 * and CR, lone surrogates, U+FFFE and U+FFFF. They are written as `\uXXXX` text instead, so the
 * document stays well-formed and the message still shows what was there.
 */
const XML_ILLEGAL =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const visible = (s: string) =>
  s.replace(XML_ILLEGAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Element text. */
const esc = (s: string) =>
  visible(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Attribute values: also quotes, and line breaks and tabs as references (kept, not normalized). */
const attr = (s: string) =>
  esc(s)
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');

export function renderJunit(report: Report): string {
  const byFile = new Map<string, Report['results'][number][]>();
  for (const r of report.results) {
    const list = byFile.get(r.file) ?? [];
    list.push(r);
    byFile.set(r.file, list);
  }
  const s = report.summary;
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="agent-canary validate" tests="${report.results.length}" failures="${s.invalid}" errors="${s.errors}">`,
  ];
  for (const [file, results] of byFile) {
    const failures = results.filter((r) => r.status === 'invalid').length;
    const errors = results.filter((r) => r.status === 'error').length;
    const skipped = results.filter((r) => r.status === 'skipped').length;
    out.push(
      `  <testsuite name="${attr(file)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">`,
    );
    for (const r of results) {
      const name = r.object ? formatObject(r.object) : `${file}:${r.line}`;
      out.push(`    <testcase name="${attr(name)}" classname="${attr(file)}">`);
      if (r.status === 'skipped') out.push('      <skipped/>');
      for (const f of r.findings) {
        const tag = r.status === 'error' ? 'error' : 'failure';
        if (f.severity === 'warning' && r.status !== 'invalid') continue;
        out.push(
          `      <${tag} message="${attr(`[${f.ruleId}] ${f.message}`)}" type="${attr(f.ruleId)}">${esc(`${f.file}:${f.line} ${f.path ?? ''}\n${f.message}\nFix: ${f.fix ?? ''}`)}</${tag}>`,
        );
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
