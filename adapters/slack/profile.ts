// A Slack user (users.info) as the bridge's UserProfile, for contact sync.
import type { UserProfile } from "../../src/adapter.js";

export interface SlackUserInfo {
  id: string;
  name?: string;
  real_name?: string;
  tz?: string;
  is_bot?: boolean;
  profile?: { display_name?: string; real_name?: string; email?: string };
}

export function toProfile(user: SlackUserInfo | undefined, teamId: string): UserProfile | undefined {
  if (!user) return undefined;
  const profile: UserProfile = { userId: user.id, attributes: { slack_team_id: teamId } };
  if (user.name) profile.username = user.name;
  const displayName = user.profile?.display_name || user.profile?.real_name || user.real_name;
  if (displayName) profile.displayName = displayName;
  const realName = user.profile?.real_name || user.real_name;
  if (realName) profile.realName = realName;
  if (user.profile?.email) profile.email = user.profile.email;
  if (user.tz) profile.timeZone = user.tz;
  return profile;
}
