/**
 * The CRDs of one file, read once per content: the entries (group, version, kind, schema) are
 * kept as JSON in the user's cache directory under a hash of the file's text.
 *
 * Why: CRD files hold long quoted descriptions continued over many lines, outside the fast YAML
 * reader's subset, so each is read by the `yaml` package: about 0.1 s for the project's own five
 * on an idle machine, paid by every `validate` start (the compiled-schema cache does not help: the
 * CRDs must be read to know which schema a kind has). JSON.parse of the cached entries costs a
 * few milliseconds. The hash covers the text, the package version and CACHE_FORMAT, so an edited
 * file or a new release reads the YAML again; a cache that cannot be read or written only costs
 * that speed.
 */
import { threadId } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageVersion } from '../../package/root.js';
import { loadText } from '../load/documents.js';
import { crdEntries, type CrdEntry } from './crd-to-json-schema.js';

/** Bumped when what is cached (CrdEntry without `source`) changes shape or meaning. */
const CACHE_FORMAT = 1;

type Cached = Omit<CrdEntry, 'source'>;

function fromCache(path: string): Cached[] | undefined {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return Array.isArray(data) ? (data as Cached[]) : undefined;
  } catch {
    return undefined;
  }
}

function toCache(dir: string, path: string, entries: readonly Cached[]): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.${threadId}.tmp`;
    writeFileSync(tmp, JSON.stringify(entries));
    renameSync(tmp, path);
  } catch {
    // Only speed is lost.
  }
}

/**
 * The CRD entries of `text` (the file shown as `shown` in messages). Throws when the file cannot
 * be read as YAML (the first finding: line and message).
 * @param cacheDir where entries are kept between runs; `false` reads the YAML every time.
 */
export function crdEntriesOfText(
  shown: string,
  text: string,
  cacheDir: string | false,
): CrdEntry[] {
  const hash = createHash('sha256')
    .update(`${CACHE_FORMAT}\0${packageVersion()}\0`)
    .update(text)
    .digest('hex')
    .slice(0, 32);
  const path = cacheDir === false ? undefined : join(cacheDir, `crd-${hash}.json`);
  const cached = path ? fromCache(path) : undefined;
  if (cached) return cached.map((e) => ({ ...e, source: shown }));
  const loaded = loadText(shown, text);
  if (loaded.findings[0])
    throw new Error(`line ${loaded.findings[0].line}: ${loaded.findings[0].message}`);
  const entries = loaded.resources.flatMap((r) => crdEntries(r.object, shown));
  if (path && cacheDir !== false)
    toCache(
      cacheDir,
      path,
      entries.map(({ source: _source, ...e }) => e),
    );
  return entries;
}
