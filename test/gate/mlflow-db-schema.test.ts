/**
 * The mlflow.db builder creates exactly MLflow's tables and columns (schemas/mlflow-db-tables.txt,
 * derived from MLflow's current schema): a reader tested against it meets what MLflow writes.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { buildSqliteStore } from '../../src/mlflow-standin/build.js';
import { genaiEvaluation } from '../../src/mlflow-standin/writer.js';
import { tempDir } from './helpers.js';

interface Column {
  name: string;
  type: string;
  notnull: boolean;
  pk: boolean;
}

function expected(): Map<string, Column[]> {
  const out = new Map<string, Column[]>();
  const text = readFileSync(
    join(dirname(fileURLToPath(import.meta.url)), '../../schemas/mlflow-db-tables.txt'),
    'utf8',
  );
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [table, rest] = line.split(': ') as [string, string];
    const [cols, pkPart] = rest.split('; pk(');
    const pk = new Set((pkPart ?? '').replace(')', '').split(',').filter(Boolean));
    out.set(
      table,
      cols!.split(', ').map((c) => {
        const m = /^(\w+) ([A-Z]+(?:\(\d+(?:,\d+)?\))?)(?:=[^!]*)?(!)?$/.exec(c)!;
        return { name: m[1]!, type: m[2]!, notnull: m[3] === '!', pk: pk.has(m[1]!) };
      }),
    );
  }
  return out;
}

describe('mlflow.db builder', () => {
  it("creates exactly the tables and columns of MLflow's schema", () => {
    const tmp = tempDir('mlflow-db-schema-');
    try {
      const path = join(tmp.dir, 'mlflow.db');
      buildSqliteStore(path, [
        { name: 'e', runs: [genaiEvaluation('bot-v1', { safety: [true, false] })] },
      ]);
      const db = new Database(path, { readonly: true });
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
          name: string;
        }[]
      ).map((r) => r.name);
      const want = expected();
      expect(tables).toEqual([...want.keys()].sort());
      for (const [table, cols] of want) {
        const got = (
          db.prepare(`PRAGMA table_info(${table})`).all() as {
            name: string;
            type: string;
            notnull: number;
            pk: number;
          }[]
        ).map((c) => ({
          name: c.name,
          type: c.type.replace(/\s+/g, ''),
          notnull: c.notnull === 1,
          pk: c.pk > 0,
        }));
        expect({ table, cols: got }).toEqual({ table, cols });
      }
      // And the rows a genai evaluation writes are where MLflow puts them.
      const count = (t: string) =>
        (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      expect([
        count('logged_models'),
        count('logged_model_metrics'),
        count('datasets'),
        count('inputs'),
        count('trace_info'),
        count('assessments'),
      ]).toEqual([1, 1, 1, 2, 2, 2]);
      db.close();
    } finally {
      tmp.cleanup();
    }
  });
});
