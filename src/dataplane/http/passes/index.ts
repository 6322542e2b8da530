import type { Pass } from '../pipeline.js'
import { checkFraming } from './check-framing.js'
import { decideSide } from './decide.js'
import { forwardHeaders } from './forward-headers.js'
import { forward } from './forward.js'
import { matchRoute } from './match-route.js'
import { resolveKey } from './resolve-key.js'

/**
 * The order of request handling, in one place. (The /_sluice/ endpoints of the opt-in issue will sit
 * between matchRoute and resolveKey.)
 */
export const HTTP_PASSES: readonly Pass[] = Object.freeze([
  checkFraming, matchRoute, resolveKey, decideSide, forwardHeaders, forward,
])
