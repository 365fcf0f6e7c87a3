/**
 * The layers of agent-canary, as rules for dependency-cruiser (docs/design.md, "Layers", draws
 * the same picture). A layer imports only layers below it; type-only imports follow the same
 * rule. test/architecture/layers.test.ts runs these rules over the project and over a fixture
 * that breaks them. Run by hand: `npx depcruise --config .dependency-cruiser.mjs src constructs main.ts`.
 *
 * A layer is a set of paths, not only a folder: each part's CLI command (`src/<part>/command.ts`)
 * sits at the top, and the HTTP servers of the gate and the canary API sit above the GitOps
 * operations although their files live beside the part they serve.
 */

/** Basic helpers every part may use: they import no other part. */
const BASICS = [
  '^src/errors/',
  '^src/duration/',
  '^src/fs/',
  '^src/yaml/',
  '^src/http/',
  '^src/names/',
  '^src/package/',
  '^src/redact/',
  '^src/traffic/',
  // MLflow's own formats: its data model, search grammar, store readers and REST client. The
  // gate reads MLflow through it and the stand-in writes MLflow's formats with it.
  '^src/mlflow/',
  '^imports/',
];
const COMMANDS = '^src/[^/]+/command\\.ts$';
const SERVERS = ['^src/gate/(server|ops|webhook)', '^src/gitops/api\\.ts$', '^src/dashboard/'];

/** From the bottom up. `path` and `pathNot` are regular expressions on paths from the project root. */
export const LAYERS = [
  { name: 'basics', path: BASICS },
  { name: 'model', path: ['^src/fleet/', '^src/policy/', '^src/config/'] },
  { name: 'constructs', path: ['^constructs/'] },
  { name: 'synthesis', path: ['^src/synth/'], pathNot: [COMMANDS] },
  { name: 'validation', path: ['^src/validate/'], pathNot: [COMMANDS] },
  { name: 'evaluation', path: ['^src/gate/'], pathNot: [COMMANDS, ...SERVERS] },
  { name: 'gitops', path: ['^src/gitops/'], pathNot: [COMMANDS, ...SERVERS] },
  // The autopilot walks canaries through the GitOps operations; the servers and the CLI wire it in.
  { name: 'autopilot', path: ['^src/autopilot/'], pathNot: [COMMANDS] },
  { name: 'servers', path: SERVERS, pathNot: [COMMANDS] },
  // src/index.ts, the package's library API, names every part like the CLI does.
  {
    name: 'cli',
    path: [COMMANDS, '^src/cli\\.ts$', '^src/index\\.ts$', '^src/demo/', '^main\\.ts$'],
  },
];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer.name}-imports-upward`,
  severity: 'error',
  comment: `the ${layer.name} layer imports only the layers below it (${
    LAYERS.slice(0, i)
      .map((l) => l.name)
      .join(', ') || 'nothing of the project'
  })`,
  from: { path: layer.path, ...(layer.pathNot ? { pathNot: layer.pathNot } : {}) },
  to: { path: LAYERS.slice(i + 1).flatMap((l) => l.path) },
}));

/**
 * Above-layer paths that also match a lower layer's pattern (a command inside src/gate/) are
 * excluded by `pathNot` on the lower layer; an upward rule's `to` must not catch a lower-layer
 * file by such an overlap, which the ordering above guarantees.
 */
/** Every path some layer (or the stand-in, beside the layers) claims. */
const PLACED = [...LAYERS.flatMap((l) => l.path), '^src/mlflow-standin/'];

export const forbidden = [
  ...upward,
  {
    name: 'module-outside-the-layers',
    severity: 'error',
    comment:
      'a new folder or root file joins a layer (LAYERS above, docs/design.md) before it is used',
    from: { path: '^(src|constructs)/' },
    to: { path: '^(src|constructs)/', pathNot: PLACED },
  },
  {
    name: 'module-outside-the-layers-imports',
    severity: 'error',
    comment:
      'a new folder or root file joins a layer (LAYERS above, docs/design.md) before it imports',
    from: { path: '^(src|constructs)/', pathNot: PLACED },
    to: { path: '^(src|constructs|imports)/' },
  },
  {
    name: 'model-policy-below-fleet',
    severity: 'error',
    comment: 'a fleet file names a policy and overrides it; the policy model never needs the fleet',
    from: { path: '^src/policy/' },
    to: { path: '^src/fleet/' },
  },
  {
    name: 'errors-at-the-bottom',
    severity: 'error',
    comment: 'the error model is the lowest layer: everything may throw its errors',
    from: { path: '^src/errors/' },
    to: { path: '^(src|constructs|imports)/', pathNot: '^src/errors/' },
  },
  {
    name: 'constructs-use-model-types-only',
    severity: 'error',
    comment: 'the construct library stands alone: of the model it uses only the types',
    from: { path: '^constructs/' },
    to: { path: '^src/(fleet|policy)/', pathNot: '^src/(fleet|policy)/types\\.ts$' },
  },
  {
    name: 'constructs-import-model-types-as-types',
    severity: 'error',
    comment: 'a model type is imported with `import type`, so no model code runs in a construct',
    from: { path: '^constructs/' },
    to: { path: '^src/(fleet|policy)/types\\.ts$', dependencyTypesNot: ['type-only'] },
  },
  {
    name: 'standin-imports-no-production-internals',
    severity: 'error',
    comment:
      "the MLflow stand-in (tests, demo) uses only MLflow's own formats (src/mlflow) and the basics, never the gate",
    from: { path: '^src/mlflow-standin/' },
    to: {
      path: '^(src|constructs)/',
      pathNot: ['^src/mlflow-standin/', ...BASICS],
    },
  },
  {
    name: 'mlflow-formats-stand-alone',
    severity: 'error',
    comment: "MLflow's formats and stores (src/mlflow) import only the basics, never the gate",
    from: { path: '^src/mlflow/' },
    to: { path: '^(src|constructs)/', pathNot: BASICS },
  },
  {
    name: 'production-imports-no-standin',
    severity: 'error',
    comment: 'the MLflow stand-in is test and demo code; only the demo command starts it',
    from: { path: '^(src|constructs)/', pathNot: ['^src/mlflow-standin/', '^src/demo/'] },
    to: { path: '^src/mlflow-standin/' },
  },
  {
    name: 'no-folder-cycles',
    severity: 'error',
    comment: 'parts import one way: two folders never import each other, directly or in a ring',
    scope: 'folder',
    from: { path: '^(src|constructs)/' },
    to: { circular: true },
  },
];

export default {
  forbidden,
  options: {
    doNotFollow: { path: ['node_modules', '^imports/'] },
    // Type-only imports count: a layer may not even name a higher layer's types.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
