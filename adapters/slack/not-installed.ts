// Events from a Slack workspace that has not installed the app (multi-workspace OAuth mode): the
// bridge cannot answer there, so they cost nothing and are logged once per workspace.

/** Set on Bolt's authorize result (and so on the event's context) for such a workspace. */
export const NOT_INSTALLED = "bridgeNotInstalled";
