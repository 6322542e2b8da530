/**
 * Which of old's users are shadowed (README "Shadow traffic"): the same sticky hash as the split
 * (`NAME:KEY`, core/bucket.ts), counted down from the top of the hash space, where the split's new
 * share (counted up from 0) reaches last. So `shadowBp` is a share of the users old serves whatever
 * the route's percent, a shadowed user stays shadowed at one percent, and as the ramp moves users
 * to new the shadowed set only shrinks: nobody enters it because the percent went up.
 */

const SPACE = 0x1_0000_0000
const FULL_BP = 10_000

/** `hash` is a key's split hash on old (at or above `splitThreshold`, core/bucket.ts thresholdFor). */
export function inShadowShare(hash: number, splitThreshold: number, shadowBp: number): boolean {
  return SPACE - 1 - hash < (shadowBp / FULL_BP) * (SPACE - splitThreshold)
}
