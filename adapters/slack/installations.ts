// Keeps each workspace's Slack installation (bot token, bot ids, scopes) in the bridge's store, so
// one deployment serves every workspace that installed the app and survives restarts. Keys: a
// team install under "team:<id>", an org-wide (Enterprise Grid) install under "enterprise:<id>".
import type { Installation, InstallationQuery, InstallationStore } from "@slack/oauth";
import type Keyv from "keyv";

type AnyInstallation = Installation<"v1" | "v2", boolean>;

export class KeyvInstallationStore implements InstallationStore {
  constructor(private readonly kv: Keyv<AnyInstallation>) {}

  async storeInstallation(installation: Installation<"v1" | "v2", boolean>): Promise<void> {
    const key = installation.isEnterpriseInstall
      ? enterpriseKey(installation.enterprise?.id)
      : teamKey(installation.team?.id);
    if (!key) throw new Error("a Slack installation without a team or enterprise id cannot be stored");
    await this.kv.set(key, installation);
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<AnyInstallation> {
    for (const key of keysFor(query)) {
      const found = await this.kv.get(key);
      if (found) return found;
    }
    throw new Error(`no Slack installation for ${describe(query)}`);
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    for (const key of keysFor(query)) await this.kv.delete(key);
  }
}

function keysFor(query: InstallationQuery<boolean>): string[] {
  const keys: string[] = [];
  if (query.isEnterpriseInstall) {
    const key = enterpriseKey(query.enterpriseId);
    if (key) keys.push(key);
    return keys;
  }
  const team = teamKey(query.teamId);
  if (team) keys.push(team);
  const enterprise = enterpriseKey(query.enterpriseId);
  if (enterprise) keys.push(enterprise);
  return keys;
}

function teamKey(id: string | undefined): string | undefined {
  return id ? `team:${id}` : undefined;
}

function enterpriseKey(id: string | undefined): string | undefined {
  return id ? `enterprise:${id}` : undefined;
}

function describe(query: InstallationQuery<boolean>): string {
  return query.isEnterpriseInstall ? `enterprise ${query.enterpriseId}` : `team ${query.teamId ?? "?"}`;
}
