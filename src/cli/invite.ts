// `mygpt-bridge invite`: how to add the bot to each platform (an app manifest, an invite URL). Each
// platform module reads only the variables it uses; it needs no assistant key.

import { inviteOutputs } from "../app/index.js";
import { readDotenv } from "../config/load.js";
import { shippedFile } from "./package-root.js";

export async function runInvite(): Promise<number> {
  const env = { ...readDotenv(process.cwd()), ...process.env };
  let failed = false;
  for (const output of await inviteOutputs(env, shippedFile)) {
    for (const line of output.lines) process.stdout.write(`${line}\n`);
    if (output.failed) {
      process.stderr.write(`${output.failed}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
