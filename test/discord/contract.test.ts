// The shared adapter contract, run against the Discord adapter and the Discord emulator.
import { runAdapterContract } from "../support/adapter-contract.js";
import { makeDiscordHarness } from "./harness.js";

runAdapterContract("Discord", () => makeDiscordHarness());
