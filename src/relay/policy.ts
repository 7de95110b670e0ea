// Who the bridge talks to: allow and deny lists for workspaces/servers, channels/chats and users,
// from the config file. Deny wins; an empty allow list allows everyone. A conversation inside a
// thread is also listed by its parent channel: denying a channel denies its threads.
import type { InboundMessage } from "../adapter.js";

export interface AccessLists {
  workspaces?: string[];
  channels?: string[];
  users?: string[];
}

export interface AccessPolicy {
  allow?: AccessLists;
  deny?: AccessLists;
}

export function isAllowed(policy: AccessPolicy, message: InboundMessage): boolean {
  const { platform, workspaceId, channelId, parentChannelId } = message.conversation;
  const channels = parentChannelId ? [channelId, parentChannelId] : [channelId];
  const values = {
    workspaces: [workspaceId, `${platform}:${workspaceId}`],
    channels: channels.flatMap((id) => [id, `${platform}:${id}`]),
    users: [message.author.id, `${platform}:${message.author.id}`],
  };
  const listed = (lists: AccessLists | undefined, field: keyof AccessLists) =>
    lists?.[field]?.some((entry) => values[field].includes(entry)) ?? false;
  const fields: Array<keyof AccessLists> = ["workspaces", "channels", "users"];
  if (fields.some((f) => listed(policy.deny, f))) return false;
  return fields.every((f) => !policy.allow?.[f]?.length || listed(policy.allow, f));
}
