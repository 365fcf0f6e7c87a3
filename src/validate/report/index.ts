/** Output formats by name (`-o`). */
import type { Report } from '../types.js';
import { renderText } from './text.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderSarif } from './sarif.js';
import { renderGithub } from './github.js';
import { renderMarkdown } from './markdown.js';

export const FORMATS = ['text', 'json', 'junit', 'sarif', 'github', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

export function render(report: Report, format: Format, opts: { verbose?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'junit':
      return renderJunit(report);
    case 'sarif':
      return renderSarif(report);
    case 'github':
      return renderGithub(report);
    case 'markdown':
      return renderMarkdown(report);
    default:
      return renderText(report, opts);
  }
}
