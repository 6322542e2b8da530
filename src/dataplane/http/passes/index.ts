import type { ProxyContext } from '../context.js'
import type { Pass } from '../pipeline.js'
import type { HttpLegState } from '../upstream-leg/state.js'
import { checkFraming } from './check-framing.js'
import { decideSide } from './decide.js'
import { forwardHeaders } from './forward-headers.js'
import { forward } from './forward.js'
import { refuseHandshakeBody } from './handshake-body.js'
import { matchRoute } from './match-route.js'
import { resolveKey } from './resolve-key.js'
import { sluiceEndpoints } from './sluice-endpoints.js'

/** The order of request handling, in one place. sluice's own /_sluice/ paths come before any route. */
export const HTTP_PASSES: readonly Pass<HttpLegState>[] = Object.freeze([
  checkFraming, sluiceEndpoints, matchRoute, resolveKey, decideSide, forwardHeaders, forward,
])

/**
 * A WebSocket handshake takes the same passes (framing and Via loop check, route, key, decision,
 * headers), minus sluice's own endpoints, plus the rule that a handshake has no body.
 */
export const UPGRADE_PASSES: readonly Pass<ProxyContext>[] = Object.freeze([
  checkFraming, refuseHandshakeBody, matchRoute, resolveKey, decideSide, forwardHeaders, forward,
])
