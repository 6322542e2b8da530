import { DURATION_PATTERN } from '../util/duration.js'
import { SIZE_PATTERN } from '../util/size.js'
import { duration, endpoint, list, obj, percent, ref, str } from './schema-nodes.js'

/**
 * The JSON Schema (draft-07) of sluice's YAML file: the single source of its structure and of
 * every default (Ajv fills them in with `useDefaults`). `config/sluice.schema.json` is generated
 * from it (`npm run build && npm run schema`) so editors using yaml-language-server autocomplete
 * the file. Draft-07 because that is what yaml-language-server reliably supports.
 *
 * What a schema says badly is checked in `semantic.ts` instead: two-decimal percents (Ajv's
 * `multipleOf: 0.01` rejects 0.29 and 33.33 through float error), URLs, time zones, key sources,
 * strictly increasing steps and unique names.
 */


/** Patterns that the validator turns into a human message (see messages.ts). */
export const PATTERNS = {
  duration: DURATION_PATTERN,
  name: '^[a-z0-9-]+$',
  // A letter first: JavaScript objects reorder integer-like keys, and group order is decision order.
  groupName: '^[A-Za-z][A-Za-z0-9_-]*$',
  listen: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):[0-9]{1,5}$',
  host: '^[A-Za-z0-9._-]+$',
  hostHeader: '^[A-Za-z0-9._:\\[\\]-]+$',
  pathPrefix: '^/',
  cookieName: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
  timeFrom: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  timeTo: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
  hold: '^hold$',
  // NATS: subjects have no spaces and, to publish or filter one subject, no wildcards; names no dots either.
  natsSubject: '^[^\\s*>]+$',
  natsName: '^[^\\s.*>]+$',
  method: '^[A-Za-z]+$',
  headerName: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
} as const

export const DEFAULT_LISTEN = '127.0.0.1:8080'
export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:8081'
/** Index = JavaScript's getDay() (0 = Sunday). */
export const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export const SOURCE_TYPES = ['redis-list', 'redis-stream', 'amqp', 'nats'] as const
export const SINK_TYPES = ['redis-list', 'redis-stream', 'bullmq', 'http', 'amqp', 'nats'] as const

const upstreamTls = obj('TLS to an https:// backend', {
  ca: str('PEM file of the CA(s) to trust instead of the system ones, relative to the config file'),
  cert: str('PEM file of the client certificate (mTLS), relative to the config file'),
  key: str('PEM file of the client key (mTLS), relative to the config file'),
  servername: str('Server name for SNI and the certificate check (default: the URL hostname)', { minLength: 1 }),
  minVersion: { enum: ['TLSv1.2', 'TLSv1.3'], description: 'Lowest TLS version accepted (default: TLSv1.2)' },
  rejectUnauthorized: { type: 'boolean', description: 'Verify the certificate (default: true; false logs a warning at every start)' },
})

/** The keywords of a backend object; they apply only when the value is an object. */
const backendObject = {
  description: 'An origin URL, or { url, host, tls }',
  minLength: 1,
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: str('Origin URL (http://host:port or https://host)', { minLength: 1, examples: ['https://api.vendor.example'] }),
    host: str("Host header sent: 'preserve' (the client's), 'upstream' (the URL's host) or a literal value; default preserve for http://, upstream for https://", { pattern: PATTERNS.hostHeader, examples: ['preserve', 'upstream'] }),
    tls: upstreamTls,
  },
} as const

const webhookObject = {
  description: 'A webhook URL (sluice JSON on rollback, completion and pause), or { url, format, events, headers, secret }',
  minLength: 1,
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: str('Receiver URL', { minLength: 1, examples: ['https://hooks.slack.com/services/T000/B000/XXXX'] }),
    format: { enum: ['json', 'slack', 'teams', 'discord'], default: 'json', description: "Body: sluice's JSON, or a one-line message that Slack, Microsoft Teams (Workflows) or Discord render" },
    events: list('Events to send (default: rolled_back, completed, paused)', { enum: ['rolled_back', 'completed', 'paused', 'step'] }, { minItems: 1, uniqueItems: true }),
    headers: { type: 'object', description: 'Extra request headers, e.g. an API key (${VAR} is interpolated)', propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }, additionalProperties: str('Header value') },
    secret: str('Key of the x-sluice-signature HMAC-SHA256 (use ${VAR}; see README "Webhooks")', { minLength: 1 }),
  },
} as const

const backends = {
  ...backendObject,
  type: ['string', 'array', 'object'],
  description: 'An origin URL (http://host:port), an object { url, host, tls }, or a non-empty list of them (balanced)',
  minItems: 1,
  items: { ...backendObject, type: ['string', 'object'] },
  examples: ['http://10.0.0.1:3000'],
} as const

const sticky = list(
  'Bucketing key sources, the first present wins: header:NAME, cookie:NAME, query:NAME, ip (routes) or json:FIELD (queues); none present = random per request',
  str('A key source'),
  { default: [] },
)

const group = obj('A group of pinned users', {
  backend: { enum: ['old', 'new'], description: 'The side the group members always get' },
  key: str("The group's own key source (default: the sticky key)"),
  users: list('Member ids, matched against the key value', str('A member id'), { default: [] }),
  usersFile: str('A file with one id per line (# comments allowed), relative to the config file'),
}, { required: ['backend'] })

const groups = {
  type: 'object',
  description: 'Pinned users by group name; the first group holding the key wins',
  propertyNames: { pattern: PATTERNS.groupName },
  additionalProperties: ref('group'),
  default: {},
} as const

const window = obj('A time window in which the percent may go up', {
  days: list('Days of the week (default: every day)', { enum: WEEK }, { minItems: 1, uniqueItems: true, default: WEEK }),
  from: str('Start, local time HH:MM', { pattern: PATTERNS.timeFrom, examples: ['09:00'] }),
  to: str('End, local time HH:MM (24:00 = midnight; before `from` = crosses midnight)', { pattern: PATTERNS.timeTo, examples: ['17:00'] }),
}, { required: ['from', 'to'] })

const schedule = obj('When the percent may go up', {
  timezone: str('IANA time zone of the windows', { examples: ['Europe/Berlin', 'UTC'] }),
  windows: list('Windows in which the percent may go up', ref('window'), { minItems: 1 }),
  outside: {
    type: ['string', 'number'],
    description: "Outside the windows: 'hold' keeps the percent, a number lowers it to that percent",
    pattern: PATTERNS.hold,
    minimum: 0,
    maximum: 100,
    default: 'hold',
  },
}, { required: ['timezone', 'windows'] })

const analysis = obj('Judging the new side on each step; failing it rolls back', {
  window: duration('Sliding window of measurements', '1m'),
  minRequests: { type: 'integer', minimum: 0, default: 100, description: 'New-side requests a step needs (summed over its windows) before it may advance; fewer holds the step, never fails it' },
  maxErrorRate: { type: 'number', minimum: 0, maximum: 1, description: 'Largest share of 5xx, transport errors and abandoned requests on the new side (0-1)' },
  maxP99Ms: { type: 'number', exclusiveMinimum: 0, description: 'Largest p99 latency of the new side, in ms' },
  maxErrorRateVsOld: { type: 'number', minimum: 1, description: "New side's error rate at most k times the old side's (k >= 1)" },
  maxP99VsOld: { type: 'number', minimum: 1, description: "New side's p99 at most k times the old side's (k >= 1)" },
  maxMismatchRate: { type: 'number', minimum: 0, maximum: 1, description: "Largest share of shadow calls whose answer differs from old's or fails (0-1; routes with shadow only)" },
  failureLimit: { type: 'integer', minimum: 1, default: 2, description: 'Consecutive evaluations with a check over its bar before rollback' },
  alpha: { type: 'number', exclusiveMinimum: 0, maximum: 0.5, default: 0.05, description: 'The chance that a healthy new side is ever rolled back over a whole rollout (split evenly across the checks)' },
  metrics: list('Checks of metrics the application exports, queried from Prometheus each window (README "Metric checks from Prometheus")', ref('metricCheck'), { default: [] }),
})

const prometheus = obj('A Prometheus server for metric checks', {
  url: str('Base URL of the Prometheus HTTP API (the part before /api/v1)', { examples: ['http://127.0.0.1:9090'] }),
  timeout: duration('Time limit per query (never more than the analysis window); default 5s'),
}, { required: ['url'] })

const metricCheck = obj('A PromQL instant query per side, judged against limits; no data is inconclusive (holds), never a failure', {
  name: str('Unique within the analysis: lower-case letters, digits and -', { pattern: PATTERNS.name }),
  query: str('PromQL giving one number; {{side}} becomes old or new, {{route}} (routes) or {{queue}} (queues) the name', {
    minLength: 1, examples: ['sum(rate(app_errors_total{version="{{side}}"}[1m])) / sum(rate(app_requests_total{version="{{side}}"}[1m]))'],
  }),
  max: { type: 'number', description: "Largest value of the new side's query" },
  min: { type: 'number', description: "Smallest value of the new side's query" },
  maxVsOld: { type: 'number', exclusiveMinimum: 0, description: "New side's value at most k times old's (judged when old's is above 0)" },
  minVsOld: { type: 'number', exclusiveMinimum: 0, description: "New side's value at least k times old's (judged when old's is above 0)" },
  prometheus: ref('prometheus'),
}, { required: ['name', 'query'] })

const rollout = obj('Automatic ramp of the percent', {
  steps: list('Percents to step through, strictly increasing', percent('A step'), { minItems: 1, examples: [[1, 5, 10, 25, 50, 100]] }),
  interval: duration('Minimum time on each step', '10m'),
  schedule: ref('schedule'),
  analysis: ref('analysis'),
}, { required: ['steps'] })

const goal = obj('A business outcome judged per side (README "Judging business outcomes")', {
  name: str('Unique within the route: lower-case letters, digits and -', { pattern: PATTERNS.name }),
  better: { enum: ['higher', 'lower'], description: 'higher (a sale) or lower (a support contact) is better' },
  maxLoss: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'Relative loss of new against old (0-1) that fails the analysis when shown with evidence' },
}, { required: ['name', 'better'] })

const shadow = obj('Shadow traffic: a share of the requests old answers is also sent to new, and the answers compared (README "Shadow traffic")', {
  percent: percent('Share of the requests answered by old also sent to new (sticky by key)', { default: 100 }),
  methods: list('Methods shadowed; add a non-idempotent one only if new may act on it twice', str('An HTTP method', { pattern: PATTERNS.method }), { minItems: 1, uniqueItems: true, default: ['GET', 'HEAD'] }),
  maxBodyBytes: {
    type: ['integer', 'string'], minimum: 0, pattern: SIZE_PATTERN, default: '1MiB', examples: ['64KiB', '1MiB'],
    description: 'Largest request or response body a shadow call carries and compares (bytes, or a size like 512KiB); larger: skipped',
  },
  maxConcurrent: { type: 'integer', minimum: 1, default: 64, description: 'Shadow calls in flight per route at most; beyond: skipped' },
  compare: obj('What is compared besides the status', {
    headers: list('Response headers compared by value (the diff names them, never shows values)', str('A header name', { pattern: PATTERNS.headerName }), { default: [] }),
    ignoreJson: list('JSON paths removed from both bodies before comparing, like $.timestamp or $.items[*].id', str('A JSON path'), { default: [] }),
  }, { default: {} }),
})

const route = obj('A route: requests matching it are split between old and new', {
  name: str('Unique name: lower-case letters, digits and -', { pattern: PATTERNS.name }),
  match: obj('Which requests this route takes; first match wins', {
    host: str('Host name without port (any host when absent)', { pattern: PATTERNS.host }),
    pathPrefix: str('Path prefix', { pattern: PATTERNS.pathPrefix, default: '/' }),
  }, { default: {} }),
  old: ref('backends'),
  new: ref('backends'),
  percent: percent('Share of requests to new', { default: 0 }),
  sticky,
  assignCookie: str('Give anonymous clients a random id in this cookie so they stay sticky', { pattern: PATTERNS.cookieName }),
  groups,
  optIn: { type: 'boolean', default: false, description: 'Users may opt in/out via /_sluice/opt-in and /_sluice/opt-out' },
  rollout: ref('rollout'),
  goals: list('Business outcomes measured per side: exposure, conversion, lift', goal, { default: [] }),
  shadow,
  timeouts: obj('Upstream timeouts', {
    connect: duration('TCP (+TLS) connect', '5s'),
    header: duration('Until the response headers arrive (then 504)', '60s'),
    idle: duration('Longest pause in a body, either way', '60s'),
  }, { default: {} }),
  exposeBackendHeader: { type: 'boolean', default: false, description: 'Responses carry x-sluice-backend: old|new' },
}, { required: ['name', 'old', 'new'] })

const redisUrl = str('Redis URL', { examples: ['redis://127.0.0.1:6379/0'] })
const redisKey = str('Redis key', { minLength: 1 })
const amqpUrl = str('AMQP 0-9-1 URL (RabbitMQ)', { examples: ['amqp://guest:guest@127.0.0.1:5672'] })
const amqpQueue = str('Queue name (declared durable when absent)', { minLength: 1 })
const natsUrl = str('NATS server URL', { examples: ['nats://127.0.0.1:4222'] })
const natsSubject = str('Subject (no wildcards)', { minLength: 1, pattern: PATTERNS.natsSubject })

const source = endpoint('Where jobs are taken from', {
  'redis-list': { url: redisUrl, key: redisKey },
  'redis-stream': { url: redisUrl, key: redisKey, group: str('Consumer group', { minLength: 1, default: 'sluice' }) },
  amqp: {
    url: amqpUrl,
    queue: amqpQueue,
    prefetch: { type: 'integer', minimum: 1, maximum: 65535, description: 'Most unacknowledged jobs at once (default: the router in-flight bound, 32)' },
  },
  nats: {
    url: natsUrl,
    stream: str('JetStream stream (created for `subject` when absent)', { minLength: 1, pattern: PATTERNS.natsName }),
    subject: natsSubject,
    durable: str('Durable pull consumer name (created when absent)', { minLength: 1, pattern: PATTERNS.natsName, default: 'sluice' }),
  },
}, { nats: ['stream'] })

const sink = endpoint('Where jobs are published', {
  'redis-list': { url: redisUrl, key: redisKey },
  'redis-stream': { url: redisUrl, key: redisKey },
  bullmq: {
    url: redisUrl,
    queue: str('BullMQ queue name', { minLength: 1 }),
    prefix: str('BullMQ key prefix', { default: 'bull' }),
    jobName: str('Job name', { default: 'job' }),
  },
  http: {
    url: str('URL the job is POSTed to as JSON; 2xx = accepted'),
    timeout: duration('Time limit per attempt', '5s'),
    retries: { type: 'integer', minimum: 0, maximum: 10, default: 3, description: 'Retries after the first attempt' },
  },
  amqp: { url: amqpUrl, queue: amqpQueue },
  nats: { url: natsUrl, subject: natsSubject },
})

/** Blocks that routes and queues share, referenced with `$ref` (nothing may sit beside a draft-07 `$ref`). */
// A definition's own `default` would be ignored (Ajv compiles it as a separate function), so blocks
// that have one (sticky, groups) stay inline.
const definitions = { backends, group, window, schedule, analysis, metricCheck, prometheus, rollout, source, sink }

const queue = obj('A queue: jobs from `source` are split between old and new', {
  name: str('Unique name: lower-case letters, digits and -', { pattern: PATTERNS.name }),
  source: ref('source'),
  old: ref('sink'),
  new: ref('sink'),
  percent: percent('Share of jobs to new', { default: 0 }),
  sticky,
  groups,
  rollout: ref('rollout'),
}, { required: ['name', 'old', 'new'] })

const listen = <const D extends string>(description: string, def: D) =>
  str(description, { pattern: PATTERNS.listen, default: def, examples: [def, '[::1]:8080'] })

/** HOST:PORT, or `{ address, tls: { cert, key } }`: the plane then speaks HTTPS. */
const listenWithTls = <const D extends string>(plane: string, def: D) => ({
  ...listen(`${plane} address, HOST:PORT, or { address, tls: { cert, key } } for HTTPS`, def),
  type: ['string', 'object'],
  required: ['address'],
  additionalProperties: false,
  properties: {
    address: listen(`${plane} address, HOST:PORT`, def),
    tls: obj(`The ${plane.toLowerCase()} speaks HTTPS with this certificate (re-read on reload)`, {
      cert: str('PEM file of the certificate (and chain), relative to the config file'),
      key: str('PEM file of its private key, relative to the config file'),
    }, { required: ['cert', 'key'] }),
  },
}) as const

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'sluice configuration',
  ...obj('sluice: a traffic-splitting reverse proxy', {
    listen: listenWithTls('Data plane', DEFAULT_LISTEN),
    admin: obj('Admin plane', {
      listen: listenWithTls('Admin plane', DEFAULT_ADMIN_LISTEN),
      token: str('Bearer token for /api (default: the SLUICE_ADMIN_TOKEN environment variable)', { minLength: 1 }),
      allowedHosts: list('Extra Host names the admin plane answers to, beyond its listen address (DNS rebinding guard)', str('Host name, without port', { pattern: '^[A-Za-z0-9.-]+$', examples: ['sluice-admin.ops.svc'] }), { default: [] }),
    }, { default: {} }),
    state: obj('Where live state is kept', {
      store: { enum: ['memory', 'redis'], default: 'memory', description: 'memory (one process) or redis (several replicas)' },
      file: str('memory store: file that keeps live state across restarts, relative to the config file'),
      redis: str('redis store: Redis URL', { examples: ['redis://127.0.0.1:6379/0'] }),
      keyPrefix: str('redis store: prefix of every key and channel (several fleets can share one Redis)', { default: 'sluice', pattern: '^[A-Za-z0-9_.-]+$' }),
      leaseTtl: duration('redis store: how long the rollout controller lease lasts unrenewed (a dead leader is replaced within it)', '15s'),
    }, { default: {} }),
    routes: list('HTTP routes, matched in order', route, { default: [] }),
    queues: list('Queue routers', queue, { default: [] }),
    notify: obj('Notifications', {
      webhooks: list('Receivers of rollbacks, completions, pauses (and steps, when asked): URLs or objects', { ...webhookObject, type: ['string', 'object'] }, { default: [] }),
    }, { default: {} }),
    prometheus: ref('prometheus'),
    log: obj('Logging', {
      level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info', description: 'Log level' },
      access: { type: 'boolean', default: false, description: 'One log line per request' },
      accessSample: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Share of requests logged when access is on (0-1)' },
    }, { default: {} }),
    shutdown: obj('Graceful shutdown on SIGTERM', {
      drainDelay: duration('Time between readiness turning false and the listeners closing', '5s'),
      timeout: duration('Upper bound for in-flight requests to finish', '25s'),
    }, { default: {} }),
  }),
  definitions,
} as const

/** The schema as the shipped JSON file's text. */
export function renderSchemaJson(): string {
  return `${JSON.stringify(configSchema, null, 2)}\n`
}
