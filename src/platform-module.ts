// What a chat platform tells the bridge about itself. Each adapters/<platform>/index.ts exports one
// PlatformModule; the composition root (src/app/) lists them, and the core reads platforms only
// through this type and PlatformAdapter: their settings, how to build an adapter, and the few ways
// a platform differs (user-id scope, command syntax, log redaction, invite text).
import type { Logger } from "pino";
import type { GenericSchema } from "valibot";
import type { ConversationRef, Platform, PlatformAdapter } from "./adapter.js";
import type { Store } from "./store/types.js";

/** One configuration problem, named the way an operator can act on it. */
export interface ConfigProblem {
  variable: string;
  problem: string;
  fix: string;
}

/** An environment variable a platform reads: its valibot schema and its line in docs/configuration.md. */
export interface EnvVariable {
  schema: GenericSchema<string | undefined, unknown>;
  meaning: string;
  /** Its value is scrubbed from every log line. */
  secret?: boolean;
}

/** What the root hands a module to build its adapter. */
export interface PlatformServices {
  /** The bridge's logger; the adapter adds its own `platform` field. */
  logger: Logger;
  store: Store;
  /** How long a crashed replica keeps what it holds (PROCESS_LEASE_MS): leader locks use it too. */
  leaseMs: number;
}

/** What `mygpt-bridge invite` prints for a platform; `failed` makes the command exit non-zero. */
export interface InviteOutput {
  lines: string[];
  failed?: string;
}

export interface PlatformModule<Settings = unknown> {
  readonly id: Platform;
  /** Its name as users know it ("Slack"), for help texts. */
  readonly name: string;
  /**
   * The variable that turns the platform on and where an operator gets it (shown when `start` has no
   * platform). Absent for a platform that is not started from the environment (the console).
   */
  readonly enabledBy?: { variable: string; whereToGet: string };
  /** The environment variables it reads, in the order docs/configuration.md lists them. */
  readonly env: Readonly<Record<string, EnvVariable>>;
  /** Its section of the YAML file (under its id) with each key's meaning, if it has one. */
  readonly file?: { schema: GenericSchema; meanings: Readonly<Record<string, string>> };
  /**
   * Its validated settings from the parsed variables and file section, or undefined when it is not
   * configured. Problems are added to `problems`, never thrown, so all are reported together.
   */
  settings(input: {
    env: Record<string, unknown>;
    file: unknown;
    problems: ConfigProblem[];
  }): Settings | undefined;
  /** Builds the adapter (loading the platform's SDK only now). Its doctor() is the platform's doctor check. */
  createAdapter(settings: Settings, services: PlatformServices): Promise<PlatformAdapter>;
  /** Its part of `mygpt-bridge invite`, from the raw environment; `shipped` names a file in the package. */
  invite?(env: NodeJS.ProcessEnv, shipped: (path: string) => string): Promise<InviteOutput>;
  /** Where its user ids are unique, for contact ids: "global" unless ids belong to a workspace. */
  userScope?(conversation: ConversationRef): string;
  /** Rewrites its own command syntax (e.g. "/help@bot") to the plain "/help" the relay knows. */
  commandSyntax?(text: string): string;
  /** Log fields it adds that hold secrets (pino redact paths). */
  readonly logRedactPaths?: readonly string[];
}

/** Defines a module with its settings type checked; the result fits in a list of any modules. */
export function definePlatform<Settings>(module: PlatformModule<Settings>): PlatformModule {
  return module as PlatformModule;
}

/** A module's user-id scope for a conversation ("global" when the module does not say). */
export function userScopeOf(modules: readonly PlatformModule[], conversation: ConversationRef): string {
  return modules.find((m) => m.id === conversation.platform)?.userScope?.(conversation) ?? "global";
}
