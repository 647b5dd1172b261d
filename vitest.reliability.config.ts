import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The crash, fault and load suite (`pnpm test:reliability`): real runner processes, the fake
 * RunSignUp over loopback and real PostgreSQL. Files run one at a time, in name order, so the
 * PostgreSQL restart (`99-...`) comes last and the machine's two cores are not shared between
 * files whose figures (takeover times, passes per minute) are measured.
 */
class ByName extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
}

export default defineConfig({
  ssr: { resolve: { conditions: ["source"] } },
  resolve: { conditions: ["source"] },
  test: {
    include: ["packages/runner/test-reliability/**/*.test.ts"],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
    sequence: { sequencer: ByName },
  },
});
