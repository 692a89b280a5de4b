// Test helpers for the wire: `@vae/protocol/testing`.
export { validMessages } from "./fixtures.ts";
