import { afterAll, beforeAll, describe } from 'vitest'
import { stateStoreContract } from '../../contract/state-store.contract.js'
import { REDIS_SERVER, StoreRig, suiteTitle } from './fixture.js'

// The same suite the memory store passes (test/unit/state/memory-store.test.ts), not a fork:
// every store gets a fresh key prefix, so it starts empty like a new memory store.
describe.skipIf(!REDIS_SERVER)(suiteTitle('redis store'), () => {
  const rig = new StoreRig()
  beforeAll(() => rig.start())
  afterAll(() => rig.close())

  stateStoreContract('redis', () => rig.store())
})
