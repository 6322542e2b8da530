// The module rules the README's Development section describes, held by dependency-cruiser:
//   npx depcruise src            (also run by `npm run lint` and so by `npm test`)
// test/unit/architecture.test.ts cruises src with this file through the API and proves each rule
// can fail on the fixtures in test/fixtures/architecture/.
//
// Paths are relative to the repository root. type-only imports count everywhere
// (tsPreCompilationDeps): a type-only circle compiles away, but it still says two modules need each
// other, and it becomes a runtime one with the first value import.

/** The layers from the bottom up; a module may import its own layer and those below. */
const LAYERS = [
  { name: 'util', path: '^src/util/' },
  { name: 'config', path: '^src/config/' },
  { name: 'core', path: '^src/core/' },
  { name: 'state', path: '^src/state/' },
  { name: 'observe', path: '^src/observe/' },
  // siblings: the same rank, and neither imports the other
  { name: 'dataplane', path: '^src/dataplane/', rank: 5 },
  { name: 'control', path: '^src/control/', rank: 5 },
  { name: 'admin', path: '^src/admin/', rank: 6 },
  { name: 'edge', path: '^src/(cli/|app/|main\\.ts$|index\\.ts$)', rank: 7 },
].map((layer, index) => ({ rank: index, ...layer }))

/** One rule per layer: nothing above it, and for dataplane and control, not the sibling either. */
const layerRules = LAYERS.map((from) => ({
  name: `layer-${from.name}`,
  comment: `${from.name} imports only its own layer and the ones below it (util → config → core → state → ` +
    'observe → dataplane | control → admin → cli/app)',
  severity: 'error',
  from: { path: from.path },
  to: {
    path: LAYERS.filter((to) => to.rank > from.rank || (to.rank === from.rank && to.name !== from.name))
      .map((to) => to.path),
  },
}))
// the edge is the top: nothing is above it
const layeredRules = layerRules.filter((rule) => rule.to.path.length > 0)

const ANY_LAYER = LAYERS.map((layer) => layer.path)

/**
 * ioredis, BullMQ, amqplib and the NATS client load on first use (util/lazy-module.ts): most
 * deployments never need them, and they cost start-up time and heap. A type import is erased; a
 * dynamic import loads lazily; anything else would load them at start-up.
 */
const LAZY_PACKAGES = '(^|/)node_modules/(ioredis|bullmq|amqplib|@nats-io/[^/]+)/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layeredRules,
    {
      name: 'layer-unknown',
      comment: 'every module in src belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: ANY_LAYER },
      to: {},
    },
    {
      name: 'layer-unknown-target',
      comment: 'every module in src belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: ANY_LAYER },
    },
    {
      name: 'no-circular',
      comment: 'no import cycle of any kind, type-only ones included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      comment: 'core/ imports only modules in src: no packages, no node: modules (inject I/O, clock and randomness)',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/' },
    },
    {
      name: 'prom-client-only-in-metrics',
      comment: 'prom-client is an implementation detail of the metrics module (observe/metrics/)',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/observe/metrics/'] },
      to: { path: '(^|/)node_modules/prom-client/' },
    },
    {
      name: 'lazy-packages-load-lazily',
      comment: 'ioredis, bullmq, amqplib and @nats-io/* load on first use: import types only, load with ' +
        'util/lazy-module.ts or a dynamic import',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: LAZY_PACKAGES, dependencyTypesNot: ['type-only', 'type-import', 'dynamic-import'] },
    },
    {
      name: 'no-orphans',
      comment: 'a module in src that nothing imports and that imports nothing is dead code',
      severity: 'error',
      from: {
        orphan: true,
        path: '^src/',
        pathNot: [
          '\\.d\\.ts$',
          // browser assets the admin server serves as files
          '^src/admin/ui/',
        ],
      },
      to: {},
    },
    {
      name: 'src-not-to-test',
      comment: 'src never imports from test/: what both need belongs in src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve to a file is a typo or a missing dependency',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-to-dev-dep',
      comment: 'src ships: it may not load a devDependency at run time (types are fine)',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only', 'type-import'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
}
