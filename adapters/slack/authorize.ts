// Which bot token answers for a workspace: the OAuth installation kept in the store when there is
// one, else the single SLACK_BOT_TOKEN's workspace. An event from a workspace that never installed
// the app (while a single token is set) is marked NOT_INSTALLED, so it is dropped, not answered with
// the wrong workspace's token.
import type { AuthorizeResult } from "@slack/bolt";
import type { InstallProvider } from "@slack/oauth";
import { NOT_INSTALLED } from "./not-installed.js";

/** The single bot token's bot and workspace, as auth.test reports them. */
export interface Identity {
  teamId: string;
  teamName?: string;
  botUserId: string;
  botId: string;
}

export interface AuthorizeSource {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
}

export class SlackAuthorizer {
  /** Set once the single bot token has been checked (start). */
  identity?: Identity;

  constructor(
    private readonly botToken: string | undefined,
    private readonly installer: InstallProvider | undefined,
  ) {}

  async authorize(source: AuthorizeSource): Promise<AuthorizeResult> {
    const single = this.identity;
    if (this.installer && (!single || source.teamId !== single.teamId)) {
      try {
        return await this.installer.authorize({
          teamId: source.teamId,
          enterpriseId: source.enterpriseId,
          isEnterpriseInstall: source.isEnterpriseInstall,
        });
      } catch (error) {
        if (!single) throw error;
        // The bridge's own token cannot answer in another workspace: mark the event, so it is dropped.
        if (source.teamId && source.teamId !== single.teamId) {
          return { botToken: this.botToken, teamId: source.teamId, [NOT_INSTALLED]: true };
        }
      }
    }
    if (!single || !this.botToken) throw new Error(`no Slack credentials for team ${source.teamId ?? "?"}`);
    return {
      botToken: this.botToken,
      botId: single.botId,
      botUserId: single.botUserId,
      teamId: single.teamId,
    };
  }
}
