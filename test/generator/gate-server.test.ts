/** The gate's Deployment keeps step-hold state on a volume and runs as the single writer of it. */
import { describe, expect, it } from 'vitest';
import { Testing } from 'cdk8s';
import { GateServer, GATE_STATE_FILE, type GateServerProps } from '../../constructs/gate-server.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { fleetAgent, policies } from './_fixtures.js';

interface Container {
  args: string[];
  volumeMounts: { name: string; mountPath: string }[];
  securityContext: { readOnlyRootFilesystem: boolean };
}
interface PodSpec {
  containers: Container[];
  volumes: { name: string; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string } }[];
}

function deployment(props: GateServerProps = {}): {
  spec: { replicas: number; strategy: { type: string }; template: { spec: PodSpec } };
} {
  const chart = Testing.chart();
  new GateServer(chart, 'Gate', props);
  return Testing.synth(chart).find((o: { kind: string }) => o.kind === 'Deployment');
}

/** The folder the state file is in must be a mounted volume (the root file system is read-only). */
function stateVolume(spec: PodSpec): PodSpec['volumes'][number] | undefined {
  const c = spec.containers[0]!;
  const i = c.args.indexOf('--state-file');
  if (i < 0) return undefined;
  const file = c.args[i + 1]!;
  const mount = c.volumeMounts.find((m) => file.startsWith(`${m.mountPath}/`));
  return mount && spec.volumes.find((v) => v.name === mount.name);
}

describe('gate server state volume', () => {
  it('passes --state-file on a mounted emptyDir by default, as the single replica with Recreate', () => {
    const d = deployment();
    const pod = d.spec.template.spec;
    expect(pod.containers[0]!.args).toEqual([
      'gate',
      '--host',
      '0.0.0.0',
      '--port',
      '8080',
      '--state-file',
      GATE_STATE_FILE,
    ]);
    expect(pod.containers[0]!.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(stateVolume(pod)).toMatchObject({ emptyDir: {} });
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('uses a PersistentVolumeClaim when stateClaim is set (survives rescheduling)', () => {
    const pod = deployment({ stateClaim: 'gate-state' }).spec.template.spec;
    expect(stateVolume(pod)).toEqual({
      name: 'state',
      persistentVolumeClaim: { claimName: 'gate-state' },
    });
  });

  it('refuses more than one replica and bad claim names, saying why', () => {
    expect(() => deployment({ replicas: 2 })).toThrow(
      /props\.replicas 2 is not allowed \(allowed: 0, 1\).*Fix: leave replicas unset/,
    );
    expect(() => deployment({ stateClaim: 'Gate_State' })).toThrow(
      /props\.stateClaim 'Gate_State'/,
    );
  });

  it('is what synth writes for the gate', () => {
    const m = synthesize([fleetAgent()], { policies: policies() }).find(
      (x) => x.path === 'agent-canary-system/agent-canary-gate/Deployment.agent-canary-gate.yaml',
    )!;
    const spec = (m.object as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
    expect(stateVolume(spec)).toMatchObject({ name: 'state', emptyDir: {} });
    expect(m.content).toContain('--state-file');
  });
});
