// docs/configuration.md is generated from the valibot schema (scripts/config-reference.ts): it must match
// what the schema says today, so a setting cannot be added, renamed or re-defaulted without its docs.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { REFERENCE_PATH, renderConfigReference } from "../../scripts/config-reference.js";

it("the configuration reference in docs/ matches the schema (regenerate with npm run docs:config)", () => {
  expect(readFileSync(REFERENCE_PATH, "utf8")).toBe(renderConfigReference());
});
