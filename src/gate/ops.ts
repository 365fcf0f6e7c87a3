/**
 * Operations endpoints: `/healthz` (the process answers), `/readyz` (MLflow can be read within
 * 2 s; Kubernetes stops sending traffic otherwise), `/metrics` (Prometheus text).
 */
import type { Route } from '../http/router.js';
import { sendJson, sendText } from '../http/respond.js';
import type { QualityEngine } from './engine.js';

export function opsRoutes(engine: QualityEngine, readyTimeoutMs = 2000): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      handler: (_req, res) => sendJson(res, 200, { status: 'ok' }),
    },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        const started = Date.now();
        try {
          await engine.source.ping({ deadline: started + readyTimeoutMs });
          sendJson(res, 200, {
            status: 'ok',
            mlflow: {
              source: engine.source.kind,
              location: engine.source.location,
              ms: Date.now() - started,
            },
          });
        } catch (err) {
          sendJson(res, 503, {
            status: 'unavailable',
            mlflow: {
              source: engine.source.kind,
              location: engine.source.location,
              error: (err as Error).message,
            },
          });
        }
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: (_req, res) =>
        sendText(res, 200, engine.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8'),
    },
  ];
}
