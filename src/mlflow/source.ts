/**
 * Picks the MLflow source from a tracking URI, the way MLflow clients do:
 *
 *   http(s)://...        tracking server REST API (RestSource)
 *   sqlite:///path       SQLite store read directly (SqliteStore)
 *   file:... or a path   mlruns/ file store read directly (FileStore)
 *   (none)               ./mlflow.db when it exists (MLflow 3.x default), else ./mlruns
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { RestSource } from './rest.js';
import { SqliteStore, sqlitePathFromUri } from './sqlite-store.js';
import { FileStore, fileStorePathFromUri } from './file-store.js';
import type { MlflowSource } from './types.js';
import type { TlsSettings } from './env.js';

export interface SourceConfig {
  /** Tracking URI; see the module comment. */
  readonly uri?: string;
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
  /** MLflow 3 workspace (`MLFLOW_WORKSPACE`): REST header, or the SQLite store's workspace column. */
  readonly workspace?: string;
  /** TLS settings of the REST client. */
  readonly tls?: TlsSettings;
  /** Resolves relative paths and the default location. @default process.cwd() */
  readonly cwd?: string;
  /** Per-HTTP-attempt timeout (REST). @default 3000 */
  readonly callTimeoutMs?: number;
  /** Retries on 5xx/429/connection errors (REST). @default 3 */
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly onAttempt?: (operation: string, seconds: number, outcome: string) => void;
}

export function createSource(cfg: SourceConfig = {}): MlflowSource {
  const cwd = cfg.cwd ?? process.cwd();
  const uri = cfg.uri?.trim();
  if (!uri) {
    const db = resolve(cwd, 'mlflow.db');
    return existsSync(db)
      ? new SqliteStore(db, { workspace: cfg.workspace })
      : new FileStore(resolve(cwd, 'mlruns'));
  }
  if (/^https?:\/\//i.test(uri)) {
    return new RestSource({
      uri,
      username: cfg.username,
      password: cfg.password,
      token: cfg.token,
      workspace: cfg.workspace,
      tls: cfg.tls,
      callTimeoutMs: cfg.callTimeoutMs,
      retries: cfg.retries,
      backoffMs: cfg.backoffMs,
      onAttempt: cfg.onAttempt,
    });
  }
  if (uri.startsWith('sqlite:'))
    return new SqliteStore(resolve(cwd, sqlitePathFromUri(uri)), { workspace: cfg.workspace });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file:')) {
    throw new Error(
      `MLflow tracking URI scheme of '${uri.replace(/\/\/[^@/]*@/, '//')}' is not supported; allowed: http://, https://, sqlite:///, file:, or a folder path.`,
    );
  }
  const path = resolve(cwd, fileStorePathFromUri(uri));
  // A path to a .db file is a convenience for sqlite:///path.
  if (existsSync(path) && statSync(path).isFile())
    return new SqliteStore(path, { workspace: cfg.workspace });
  return new FileStore(path);
}
