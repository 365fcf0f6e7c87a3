/** `-o sarif`: SARIF 2.1.0 for code-scanning UIs; one rule entry per rule id, one result per finding. */
import { rules } from '../rules/index.js';
import { formatObject, type Report } from '../types.js';
import { packageHomepage, packageVersion } from '../../package/root.js';

const BUILTIN: Record<string, string> = {
  schema: 'The object matches the schema of its kind (unknown fields are errors).',
  parse: 'The file is valid YAML or JSON.',
  'duplicate-key': 'No mapping has the same key twice.',
  'yaml-1.1-boolean':
    'No plain yes/no/on/off/y/n scalars, which YAML 1.1 (kubectl, the API server) reads as booleans.',
  'not-an-object': 'Every document is a Kubernetes object.',
  'missing-kind': 'Every object has apiVersion and kind.',
  'missing-schema': 'A schema exists for every kind (or --skip-missing-schemas).',
  input: 'Every path exists and can be read.',
  'schema-source': 'CRDs, schema directories and the live file can be read.',
  'policy-source': 'Rollout policies and fleet files resolve.',
  'dist-drift': 'dist/ equals what the fleet synthesizes.',
  'gate-check': 'The quality gate approves a weight increase.',
  'fleet-file': 'Every fleet file parses and passes the fleet schema and rules.',
  'pr-promotion-step': "A manual canary is promoted only from the policy's last step.",
  'pr-step-hold':
    "A manual weight goes up, or is promoted, only after the current step's hold has elapsed since the commit that set it.",
  'pr-direct-stable-change':
    'The stable spec changes only by promoting a canary (unless the policy sets allowDirectStableChange).',
  'pr-removed-exposure': 'No host or gateway of an agent is removed.',
};

export function renderSarif(report: Report): string {
  const ruleMeta = [
    ...Object.entries(BUILTIN).map(([id, text]) => ({ id, shortDescription: { text } })),
    ...rules.map((r) => ({
      id: r.id,
      shortDescription: { text: r.description },
      defaultConfiguration: { level: r.severity === 'error' ? 'error' : 'warning' },
    })),
  ];
  const results = report.findings.map((f) => ({
    ruleId: f.ruleId,
    level: f.severity === 'error' ? 'error' : 'warning',
    message: {
      text: `${f.object ? `${formatObject(f.object)}: ` : ''}${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}`,
    },
    locations: f.file
      ? [
          {
            physicalLocation: {
              artifactLocation: { uri: f.file.replace(/\\/g, '/').replace(/^\.\//, '') },
              region: { startLine: Math.max(1, f.line) },
            },
            ...(f.path ? { logicalLocations: [{ fullyQualifiedName: f.path }] } : {}),
          },
        ]
      : [],
  }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'agent-canary validate',
            version: packageVersion(),
            informationUri: packageHomepage(),
            rules: ruleMeta,
          },
        },
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
