// Runs the one store contract (contract.ts) against every store the bridge can open.
import { openStore } from "../../src/store/open-store.js";
import { storeContract } from "./contract.js";

storeContract("memory", {
  fakeClock: true,
  open: (options) => openStore("memory://", options),
});
