/** readMany: the autopilot's batch of fleet-file reads (order kept, a failed read in its place). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMany } from '../../src/fs/read-many.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-canary-read-many-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readMany', () => {
  it('keeps the order of the paths and puts a failed read in its place', async () => {
    const paths = Array.from({ length: 70 }, (_, i) => join(dir, `f${i}.txt`));
    paths.forEach((p, i) => {
      if (i !== 33) writeFileSync(p, `file ${i}`);
    });
    const texts = await readMany(paths, 8);
    expect(texts).toHaveLength(70);
    texts.forEach((t, i) => {
      if (i === 33) expect(t).toBeInstanceOf(Error);
      else expect(t).toBe(`file ${i}`);
    });
    expect(await readMany([])).toEqual([]);
  });
});
