// What a child process printed and how it ended, for tests that run the bridge's command line.
import type { ChildProcessWithoutNullStreams } from "node:child_process";

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects the child's output and resolves when it exits. */
export function finished(child: ChildProcessWithoutNullStreams): Promise<ProcessRun> {
  return new Promise((done, fail) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", fail);
    child.once("exit", (code) => done({ code, stdout, stderr }));
  });
}
