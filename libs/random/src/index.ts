export { Purpose, Rng, hashKey, permutation } from "./rng.ts";
