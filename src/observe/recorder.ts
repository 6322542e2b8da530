/** Kept for src/app/reload.ts only (being reworked elsewhere): everything else imports observe/metrics/recorder.ts. */
export type { Recorder } from './metrics/recorder.js'
