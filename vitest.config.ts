import { defineConfig } from "vitest/config";

// Unit tests sit beside the code (libs/**, apps/**); multi-process tests live in
// test/e2e. Collectives hang rather than fail, so every test runs under a hard
// timeout, and e2e files run one at a time to keep a 2-core machine honest.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["libs/**/*.spec.ts", "apps/**/*.spec.ts"],
          testTimeout: 60_000,
          pool: "forks",
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.e2e.ts"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
