/**
 * The gate's HTTP server: the Flagger webhook, the operations endpoints and any extra routes
 * (the GitOps engineer mounts the canary HTTP API `/api/v1/agents/...` here).
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Route } from '../http/router.js';
import { createListener } from '../http/handler.js';
import { createHttpServer, type ServerLimits } from '../http/server.js';
import { createLogger, type Logger } from '../http/log.js';
import type { MlflowSource } from '../mlflow/types.js';
import { createSource, type SourceConfig } from '../mlflow/source.js';
import { QualityEngine, type EngineOptions } from './engine.js';
import { GateMetrics } from './prometheus.js';
import { StepHolds, type StepHoldsOptions } from './step-hold.js';
import { webhookRoute } from './webhook.js';
import { opsRoutes } from './ops.js';
import { DEFAULTS, type GateDefaults } from './settings.js';

export interface GateServerOptions {
  /** Where scores come from; built from `mlflow` when not given. */
  readonly source?: MlflowSource;
  /** Source configuration (URI and credentials) when `source` is not given. @default the local store in the working directory */
  readonly mlflow?: SourceConfig;
  /** Shared token accepted in `metadata.token` for every agent (older scheme). @default none */
  readonly token?: string;
  /**
   * Secret the per-agent webhook tokens are derived from (`HMAC-SHA256(secret, "ns/name")`,
   * docs/gate.md "Webhook authentication"). @default none
   */
  readonly secret?: string;
  /** Settings used when the hook metadata does not set them. @default DEFAULTS */
  readonly defaults?: Partial<GateDefaults>;
  /**
   * Extra routes served by the same server (the canary API, the dashboard); a function receives
   * the server's engine and source, for routes that judge or read MLflow like the webhook does.
   * @default []
   */
  readonly routes?:
    | readonly Route[]
    | ((gate: {
        readonly engine: QualityEngine;
        readonly source: MlflowSource;
      }) => readonly Route[]);
  /** @default a JSON logger on stderr at level info */
  readonly logger?: Logger;
  /** Engine tuning (page size, experiment cache, clock). */
  readonly engine?: Omit<EngineOptions, 'source' | 'metrics' | 'logger'>;
  /** Clock for step holds. @default Date.now */
  readonly now?: () => number;
  /** File keeping step-hold state across restarts (atomic writes). @default none (memory only) */
  readonly stateFile?: string;
  /** Step-hold tuning (pruning age, tick window). */
  readonly stepHolds?: Omit<StepHoldsOptions, 'now' | 'stateFile' | 'logger'>;
  /** Connection and request timeouts. @default the defaults of createHttpServer */
  readonly limits?: ServerLimits;
}

export interface GateServer {
  readonly server: http.Server;
  readonly engine: QualityEngine;
  readonly metrics: GateMetrics;
  readonly source: MlflowSource;
  readonly holds: StepHolds;
}

export function createGateServer(opts: GateServerOptions = {}): GateServer {
  const logger = opts.logger ?? createLogger({ base: { component: 'gate' } });
  const metrics = new GateMetrics();
  const source = opts.source ?? createSource(opts.mlflow);
  const engine = new QualityEngine({
    ...opts.engine,
    source,
    metrics,
    logger,
    now: opts.engine?.now ?? opts.now,
  });
  const holds = new StepHolds({
    ...opts.stepHolds,
    now: opts.now,
    stateFile: opts.stateFile,
    logger,
  });
  const routes: Route[] = [
    webhookRoute({
      engine,
      holds,
      logger,
      token: opts.token,
      secret: opts.secret,
      defaults: { ...DEFAULTS, ...opts.defaults },
    }),
    ...opsRoutes(engine),
    ...(typeof opts.routes === 'function' ? opts.routes({ engine, source }) : (opts.routes ?? [])),
  ];
  const listener = createListener(routes, {
    logger,
    quietPaths: ['/healthz', '/readyz', '/metrics'],
    onResponse: (route, method, status) =>
      metrics.http.inc({ route, method, code: String(status) }),
  });
  const server = createHttpServer(listener, logger, opts.limits);
  return { server, engine, metrics, source, holds };
}

export interface StartedGate extends GateServer {
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

export async function startGateServer(
  opts: GateServerOptions & { readonly host?: string; readonly port?: number } = {},
): Promise<StartedGate> {
  const gate = createGateServer(opts);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    gate.server.once('error', reject);
    gate.server.listen(opts.port ?? 0, host, () => {
      gate.server.off('error', reject);
      resolve();
    });
  });
  const addr = gate.server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    ...gate,
    url: `http://${shownHost}:${addr.port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        gate.server.close(() => resolve());
        gate.server.closeIdleConnections();
      });
      if (!opts.source) await gate.source.close();
    },
  };
}
