/**
 * Line numbers of fields, which the loader works out only when a finding asks: each document of
 * a multi-document file is re-read from its own part of the file, so a field in the third
 * document is named at its line in the file, whether the document was read by the fast reader or
 * the `yaml` package, after a byte-order mark or with CRLF line breaks, and in files read whole.
 */
import { describe, expect, it } from 'vitest';
import { loadText } from '../../src/validate/load/documents.js';

const cm = (name: string, extra = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v${extra}\n`;

/** Line of `data.k` in each object, and each object's own line. */
const lines = (text: string) =>
  loadText('t.yaml', text).resources.map((r) => [r.line, r.locate(['data', 'k'])]);

describe('field lines in multi-document files', () => {
  // Lines: 1 comment, 2-7 first, 8 ---, 9 empty doc ---, 10 comment, 11-16 second, 17 ---, 18-23 third.
  const text = `# head\n${cm('a')}---\n---\n# second\n${cm('b')}---\n${cm('c')}`;

  it('names the line of the field in every document', () => {
    expect(lines(text)).toEqual([
      [2, 7],
      [11, 16],
      [18, 23],
    ]);
  });

  it('the same with CRLF line breaks and a byte-order mark', () => {
    expect(lines(`\ufeff${text.replaceAll('\n', '\r\n')}`)).toEqual([
      [2, 7],
      [11, 16],
      [18, 23],
    ]);
  });

  it('the same when a document leaves the fast subset (anchors: the yaml package reads it)', () => {
    const anchored = `${cm('a')}---\n${cm('b').replace('k: v', 'k: &x v')}---\n${cm('c')}`;
    expect(lines(anchored)).toEqual([
      [1, 6],
      [8, 13],
      [15, 20],
    ]);
  });

  it('the same in a file read whole (a document-end line)', () => {
    const whole = `${cm('a')}...\n---\n${cm('b')}`;
    expect(lines(whole)).toEqual([
      [1, 6],
      [9, 14],
    ]);
  });

  it('a path that does not exist falls back to its nearest parent', () => {
    const [r] = loadText('t.yaml', `# c\n\n${cm('a')}`).resources;
    expect(r!.locate(['data', 'missing'])).toBe(7);
    expect(r!.locate(['nothing', 'here'])).toBe(3);
  });
});
