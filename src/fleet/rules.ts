/**
 * Rules over a schema-valid fleet file: the checks a JSON schema cannot express. Each rule is a
 * small function that reports through `ctx.error` (the file is refused) or `ctx.warn` (reported,
 * not fatal), like the changesets config rules.
 */
import type { ProblemDetails } from '../errors/located.js';
import type { YamlSource } from '../yaml/source.js';
import { AGENT_SPEC_DEFAULTS } from './normalize.js';
import { trafficRules } from './traffic-rules.js';

type Report = (segments: readonly (string | number)[], d: Omit<ProblemDetails, 'field'> & { field?: string }) => void;

export interface FleetRuleContext {
  /** Path relative to the fleet root, `/`-separated. */
  readonly file: string;
  /** The file as plain data; already valid against `fleetFileSchema`. */
  readonly data: Record<string, unknown>;
  readonly source: YamlSource;
  readonly error: Report;
  readonly warn: Report;
}

export type FleetRule = (ctx: FleetRuleContext) => void;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});

/** metadata.namespace equals the folder, and the file is named `<metadata.name>.yaml`. */
export const placeMatchesMetadata: FleetRule = ({ file, data, error }) => {
  const meta = obj(data['metadata']);
  const parts = file.split('/');
  if (parts.length !== 2) {
    error(['metadata', 'namespace'], {
      problem: 'fleet files sit exactly one folder deep, in the folder named after their namespace',
      value: file,
      allowed: `${String(meta['namespace'])}/${String(meta['name'])}.yaml`,
      fix: `move the file to ${String(meta['namespace'])}/${String(meta['name'])}.yaml`,
    });
    return;
  }
  const [folder, base] = parts as [string, string];
  if (meta['namespace'] !== folder) {
    error(['metadata', 'namespace'], {
      problem: `metadata.namespace must equal the folder the file sits in ('${folder}')`,
      value: meta['namespace'],
      allowed: folder,
      fix: `set metadata.namespace to ${folder}, or move the file to ${String(meta['namespace'])}/${base}`,
    });
  }
  const stem = base.replace(/\.ya?ml$/, '');
  if (meta['name'] !== stem) {
    error(['metadata', 'name'], {
      problem: `metadata.name must equal the file name without extension ('${stem}')`,
      value: meta['name'],
      allowed: stem,
      fix: `set metadata.name to ${stem}, or rename the file to ${folder}/${String(meta['name'])}.yaml`,
    });
  }
};

/**
 * One mode per agent. Settings that only one mode uses must match the chosen mode: `loadTest`
 * is a Flagger webhook (progressive only), so a manual agent carrying it mixes both modes.
 */
export const oneRolloutMode: FleetRule = ({ data, error }) => {
  const r = obj(data['rollout']);
  const mode = r['mode'] ?? 'manual';
  if (mode === 'manual' && r['loadTest'] !== undefined) {
    error(['rollout', 'loadTest'], {
      problem:
        'both rollout modes on one agent: loadTest is a progressive-mode setting (a Flagger webhook), but the mode is manual' +
        (r['mode'] === undefined ? ' (the default)' : ''),
      value: r['loadTest'],
      allowed: 'loadTest only with mode: progressive',
      fix: 'remove loadTest, or set mode: progressive',
    });
  }
};

/** gateway-api needs parents to attach the HTTPRoute to; istio ignores them (so they must not be there). */
export const gatewayRefsMatchRouting: FleetRule = ({ data, error }) => {
  const r = obj(data['rollout']);
  const routing = r['routing'] ?? 'istio';
  if (routing === 'gateway-api' && r['gatewayRefs'] === undefined) {
    error(['rollout', 'gatewayRefs'], {
      problem: 'routing gateway-api needs gatewayRefs: the Gateway(s) the HTTPRoute attaches to',
      value: undefined,
      allowed: 'a list of {name, namespace?, sectionName?}',
      fix: 'add under rollout: `gatewayRefs: [{ name: <gateway>, namespace: <gateway namespace> }]`',
    });
  }
  if (routing === 'istio' && r['gatewayRefs'] !== undefined) {
    error(['rollout', 'gatewayRefs'], {
      problem: 'gatewayRefs only apply to routing gateway-api; with istio they would be ignored',
      value: r['gatewayRefs'],
      allowed: 'gatewayRefs only with routing: gateway-api',
      fix: 'remove gatewayRefs, or set routing: gateway-api',
    });
  }
};

const OVERRIDE_KEYS = ['image', 'modelType', 'modelId', 'systemPrompt', 'skills', 'tools'] as const;

/**
 * The canary must be something to compare: an enabled canary identical to stable (same image and
 * no other override that differs) is refused. Weight oddities are warnings: weight 0 in manual
 * mode is a legitimate dark launch, and in progressive mode Flagger owns the live weight.
 */
export const canaryMakesSense: FleetRule = ({ data, error, warn }) => {
  const spec = obj(data['spec']);
  if (spec['canary'] === null || spec['canary'] === undefined) return;
  const canary = obj(spec['canary']);
  const mode = obj(data['rollout'])['mode'] ?? 'manual';
  const enabled = canary['enabled'] === true;
  const weight = canary['weight'] as number;
  if (!enabled) {
    if (weight > 0) {
      warn(['spec', 'canary', 'weight'], {
        problem: 'the canary is disabled, so its weight is ignored and stable serves 100 %',
        value: weight,
        allowed: '0 while enabled is false',
        fix: 'set enabled: true to send this share to the canary, or weight: 0',
      });
    }
    return;
  }
  const differs = OVERRIDE_KEYS.filter((k) => {
    if (canary[k] === undefined) return false;
    const stable = spec[k] ?? (AGENT_SPEC_DEFAULTS as Record<string, unknown>)[k];
    return JSON.stringify(canary[k]) !== JSON.stringify(stable);
  });
  if (differs.length === 0) {
    error(['spec', 'canary'], {
      problem:
        'the enabled canary is identical to stable (same image, model, prompt, skills and tools); there is nothing to compare' +
        (canary['version'] !== undefined ? ' (a new version label alone changes nothing)' : ''),
      value: canary,
      allowed: `at least one of ${OVERRIDE_KEYS.join(', ')} different from spec`,
      fix: 'set the challenger override (e.g. canary.image or canary.modelId), or set enabled: false',
    });
  }
  // Cohorts (and a blue-green or A/B release) reach the challenger at weight 0 on purpose.
  const rollout = obj(data['rollout']);
  const reachedAtZero = rollout['cohorts'] !== undefined || (rollout['strategy'] ?? 'canary') !== 'canary';
  if (mode === 'manual' && weight === 0 && !reachedAtZero) {
    warn(['spec', 'canary', 'weight'], {
      problem: 'the canary is deployed but receives no traffic (weight 0); Recif treats it as not running',
      value: 0,
      allowed: 'integer 1..99 for a live canary (the first policy step, e.g. 5)',
      fix: 'set weight to the first step of the policy, or enabled: false',
    });
  }
  if (mode === 'progressive' && weight !== 0) {
    warn(['spec', 'canary', 'weight'], {
      problem: 'in progressive mode Flagger owns the live weight; this weight is informational only',
      value: weight,
      allowed: '0 (Flagger starts at the first policy step)',
      fix: 'set weight: 0, or switch to mode: manual to own the weight in Git',
    });
  }
};

/** Unpinned images make synthesis non-reproducible: the same Git revision may run different code. */
export const imagesPinned: FleetRule = ({ data, warn }) => {
  const spec = obj(data['spec']);
  const check = (segments: string[], image: unknown) => {
    if (typeof image !== 'string') return;
    const lastPart = image.split('/').pop() ?? image;
    const tag = lastPart.includes('@') ? 'digest' : lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
    if (tag === undefined || tag === 'latest') {
      warn(segments, {
        problem: 'image is not pinned to a version (no tag, or latest)',
        value: image,
        allowed: 'an image with a version tag or a digest, e.g. ghcr.io/recif-platform/corail:v0.3.1',
        fix: 'pin the image to a tag or digest',
      });
    }
  };
  check(['spec', 'image'], spec['image']);
  check(['spec', 'canary', 'image'], obj(spec['canary'])['image']);
};

export const fleetRules: readonly FleetRule[] = [
  placeMatchesMetadata,
  oneRolloutMode,
  gatewayRefsMatchRouting,
  canaryMakesSense,
  imagesPinned,
  ...trafficRules,
];
