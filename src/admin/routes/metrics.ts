import type { Recorder } from '../../observe/metrics/recorder.js'
import type { Router } from '../router.js'
import { text } from '../reply.js'

/**
 * Prometheus text format. Deliberately outside the bearer token: Prometheus scrapes without one by
 * default, and the metrics hold no user data (labels are config names and fixed enums only).
 */
export function metricsRoutes(router: Router, recorder: Recorder): void {
  router.add('GET', '/metrics', async () => text(200, await recorder.render(), recorder.contentType))
}
