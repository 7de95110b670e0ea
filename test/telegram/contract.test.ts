// The shared adapter suite, run against the real grammY bot in both intake modes.
import { runAdapterContract } from "../support/adapter-contract.js";
import { contractHarness } from "./harness.js";

runAdapterContract("Telegram (long polling)", () => contractHarness("polling"));
runAdapterContract("Telegram (webhook)", () => contractHarness("webhook"));
