import { runAdapterContract } from "../support/adapter-contract.js";
import { contractHarness } from "./harness.js";

runAdapterContract("Slack (Socket Mode)", () => contractHarness("socket"));
runAdapterContract("Slack (HTTP Events API)", () => contractHarness("http"));
