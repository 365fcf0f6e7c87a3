/** The deterministic emitter: what it writes reads back as the same data, in YAML 1.1 and 1.2 readers. */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { emitYaml } from '../../src/synth/yaml.js';

const tricky = [
  '',
  ' ',
  'true',
  'False',
  'yes',
  'No',
  'on',
  'OFF',
  'y',
  'n',
  'null',
  '~',
  'Null',
  '0',
  '1',
  '-1',
  '0.6',
  '.5',
  '1e3',
  '0x1F',
  '0o7',
  '08',
  '1_000',
  '.inf',
  '-.Inf',
  '.nan',
  '2024-01-01',
  '12:30',
  '3',
  '"quoted"',
  "'single'",
  'a: b',
  'a:b',
  'a #b',
  'a#b',
  '#x',
  '- x',
  '-x',
  '? x',
  ': x',
  '[a]',
  '{a}',
  'a, b',
  '*ref',
  '&anchor',
  '!tag',
  '%dir',
  '@at',
  '`tick',
  '|',
  '>',
  'x:',
  'x ',
  ' x',
  '<<',
  'tab\there',
  'line\nbreak',
  'ends with newline\n',
  'two newlines\n\n',
  '\nleading newline',
  '  indented\nnext',
  'trailing spaces  \nnext',
  'blank\n\nline',
  'spaces only\n   \nline',
  'unicode é ✓ 🚀',
  'ctrl \u0001',
  'nel \u0085 ls \u2028',
  'bom \ufeff',
  'del \u007f',
  'http://example.com:8080/a?b=c',
  'ghcr.io/recif-platform/corail:v0.4.0',
  'safety/mean>=0.8,latency/mean<=2000',
  '${VAR}',
  'a\\b',
  'key: value\n- item\n# comment\n',
  '=',
  'Yes please',
  'NaN',
  'Infinity',
  '+1',
  '0b101',
  '1:2:3',
];

describe('emitYaml', () => {
  it.each(tricky.map((s) => [JSON.stringify(s), s]))(
    'round-trips the string %s as a value and as a key',
    (_, s) => {
      const doc = { v: s, list: [s, { [s || 'k']: s }], [s || 'empty']: 1 };
      expect(parse(emitYaml(doc))).toEqual(doc);
      expect(parse(emitYaml(doc), { version: '1.1' })).toEqual(doc);
    },
  );

  it('round-trips numbers, booleans, null and nested empty collections', () => {
    const doc = {
      a: 1,
      b: -2.5,
      c: 0,
      d: true,
      e: false,
      f: null,
      g: [],
      h: {},
      i: [[], {}, [1, [2]]],
      j: { k: { l: [{ m: 1, n: [] }] } },
    };
    expect(parse(emitYaml(doc))).toEqual(doc);
  });

  it('round-trips random strings', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'aZ0 :#-?\'"\n\t{}[],&*!|>%@`\\/.=~é🚀';
    for (let i = 0; i < 500; i++) {
      const s = Array.from(
        { length: Math.floor(rnd() * 12) },
        () => [...alphabet][Math.floor(rnd() * [...alphabet].length)],
      ).join('');
      expect(parse(emitYaml({ s, [s || 'x']: [s] }))).toEqual({ s, [s || 'x']: [s] });
    }
  });

  it('writes multi-line text as a literal block and plain strings plainly', () => {
    const out = emitYaml({
      prompt: 'line one\nline two\n',
      name: 'support-bot',
      version: '3',
      n: 1,
    });
    expect(out).toBe(
      'prompt: |\n  line one\n  line two\nname: support-bot\nversion: "3"\n"n": 1\n',
    );
  });

  it('drops undefined values like JSON does', () => {
    expect(parse(emitYaml({ a: undefined, b: { c: undefined }, d: [{ e: undefined }] }))).toEqual({
      b: {},
      d: [{}],
    });
  });

  it('refuses values YAML cannot hold', () => {
    expect(() => emitYaml({ x: Number.NaN })).toThrow(/not a finite number/);
    expect(() => emitYaml({ x: () => 1 } as unknown as Record<string, unknown>)).toThrow(
      /cannot emit a function/,
    );
  });
});
