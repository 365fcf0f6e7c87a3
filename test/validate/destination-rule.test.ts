/**
 * The built-in DestinationRule CRD (imports/crds/istio.yaml) declares the whole documented
 * trafficPolicy: every field the API has passes at v1, v1beta1 and v1alpha3, and what the API
 * server would drop or refuse (a field the API lacks such as `http2KeepAlive`, a bad enum, a
 * string count, two load balancers at once, a tunnel without a port) is reported at its line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validatePaths } from '../../src/validate/index.js';

const base = { policies: new Map(), fleet: [] } as const;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function validate(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ac-dr-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'dr.yaml'), yaml);
  return validatePaths([dir], base);
}

const trafficPolicy = `
    connectionPool:
      tcp:
        maxConnections: 100
        connectTimeout: 30ms
        tcpKeepalive: { time: 7200s, interval: 75s, probes: 9 }
        maxConnectionDuration: 1h
        idleTimeout: 1h30m
      http:
        http1MaxPendingRequests: 64
        http2MaxRequests: 1000
        maxRequestsPerConnection: 10
        maxRetries: 3
        idleTimeout: 300s
        h2UpgradePolicy: UPGRADE
        useClientProtocol: true
        maxConcurrentStreams: 100
    loadBalancer:
      consistentHash:
        httpCookie: { name: conversation, path: /, ttl: 0s }
        ringHash: { minimumRingSize: 1024 }
      localityLbSetting:
        enabled: true
        distribute:
          - { from: us-west/zone1/*, to: { "us-west/zone1/*": 80, "us-west/zone2/*": 20 } }
        failoverPriority: [topology.kubernetes.io/region]
      warmup: { duration: 60s, minimumPercent: 10, aggression: 1.5 }
    outlierDetection:
      consecutive5xxErrors: 7
      consecutiveGatewayErrors: 5
      interval: 5m
      baseEjectionTime: 15m
      maxEjectionPercent: 50
      minHealthPercent: 30
      splitExternalLocalOriginErrors: false
    tls:
      mode: SIMPLE
      credentialName: client-credential
      subjectAltNames: [agent.example.com]
      sni: agent.example.com
    portLevelSettings:
      - port: { number: 8000 }
        loadBalancer: { simple: LEAST_REQUEST }
        connectionPool: { tcp: { maxConnections: 10 } }
        outlierDetection: { consecutive5xxErrors: 3 }
        tls: { mode: ISTIO_MUTUAL }
    tunnel: { protocol: CONNECT, targetHost: agent.example.com, targetPort: 443 }
    proxyProtocol: { version: V2 }
`;

const rule = (apiVersion: string, policy: string) => `apiVersion: networking.istio.io/${apiVersion}
kind: DestinationRule
metadata: { name: support-bot, namespace: team-a }
spec:
  host: support-bot.team-a.svc.cluster.local
  trafficPolicy:${policy}
  subsets:
    - name: stable
      labels: { version: stable }
      trafficPolicy:
        loadBalancer: { simple: ROUND_ROBIN }
`;

describe('DestinationRule trafficPolicy', () => {
  it.each(['v1', 'v1beta1', 'v1alpha3'])('accepts every documented field (%s)', async (v) => {
    const report = await validate(rule(v, trafficPolicy));
    expect(report.findings).toEqual([]);
    expect(report.results.map((r) => r.status)).toEqual(['valid']);
  });

  it('reports what the API server would drop or refuse, each at its line', async () => {
    const bad = `
    connectionPool:
      tcp:
        tcpKeepalive: { time: 2 hours }
      http:
        http2KeepAlive: { interval: 10s }
    loadBalancer:
      simple: ROUND_ROBINX
    outlierDetection:
      consecutive5xxErrors: "seven"
    tunnel: { targetHost: agent.example.com }
`;
    const report = await validate(rule('v1', bad));
    expect(report.findings.map((f) => `${f.line} ${f.path}`)).toEqual([
      '9 spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.time',
      '11 spec.trafficPolicy.connectionPool.http.http2KeepAlive',
      '13 spec.trafficPolicy.loadBalancer.simple',
      '15 spec.trafficPolicy.outlierDetection.consecutive5xxErrors',
      '16 spec.trafficPolicy.tunnel.targetPort',
    ]);
    const keepAlive = report.findings[1]!.message;
    expect(keepAlive).toContain('unknown field "http2KeepAlive"');
  });

  it('refuses two load balancers or two hash keys at once', async () => {
    const report = await validate(
      rule(
        'v1',
        `
    loadBalancer:
      simple: RANDOM
      consistentHash: { httpHeaderName: x-conversation-id, useSourceIp: true }
`,
      ),
    );
    expect(report.findings.map((f) => f.path)).toEqual(
      expect.arrayContaining(['spec.trafficPolicy.loadBalancer']),
    );
    expect(report.results.map((r) => r.status)).toEqual(['invalid']);
  });
});
