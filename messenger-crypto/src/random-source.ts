// Where key material comes from. Injected so tests and the simulator can be deterministic; the
// default is the platform CSPRNG (crypto.getRandomValues, in Node and in the browser).

import { randomBytes } from '@noble/hashes/utils.js';

export type RandomSource = (length: number) => Uint8Array;

export const systemRandom: RandomSource = (length) => randomBytes(length);
