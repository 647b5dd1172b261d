import { runAdapterConformance } from "@project88/core/testing";
import { describe, expect, it } from "vitest";
import { createRunSignupHarness } from "../src/testing/index.js";

// Core's adapter suite, against the real adapter talking real HTTP to the fake RunSignUp.
runAdapterConformance({ describe, it, expect }, { createHarness: () => createRunSignupHarness(), name: "RunSignUp adapter conformance" });

// The same suite with the other reading of results_per_page for CSV event ids.
runAdapterConformance(
  { describe, it, expect },
  {
    name: "RunSignUp adapter conformance (whole-page CSV cap)",
    createHarness: async () => {
      const harness = await createRunSignupHarness();
      harness.fake.csvPaging = "whole-page";
      return harness;
    },
  },
);
