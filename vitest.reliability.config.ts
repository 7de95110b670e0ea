// The fault-injection suite (`npm run test:reliability`): real bridge processes, real redis-server,
// one scenario after another (they share 2 cores with nothing else of theirs). Kept out of `vitest run`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/reliability/**/*.reliability.ts"],
    // Generous: a kill scenario restarts the bridge 20 times, and each start is slower on a busy machine.
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
    reporters: ["default"],
  },
});
