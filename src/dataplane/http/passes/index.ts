import type { Pass } from '../pipeline.js'
import { checkFraming } from './check-framing.js'
import { decideSide } from './decide.js'
import { forwardHeaders } from './forward-headers.js'
import { forward } from './forward.js'
import { matchRoute } from './match-route.js'
import { resolveKey } from './resolve-key.js'
import { sluiceEndpoints } from './sluice-endpoints.js'

/** The order of request handling, in one place. sluice's own /_sluice/ paths come before any route. */
export const HTTP_PASSES: readonly Pass[] = Object.freeze([
  checkFraming, sluiceEndpoints, matchRoute, resolveKey, decideSide, forwardHeaders, forward,
])
