// Package discordtest is a strict fake Discord (REST API v9 + websocket
// gateway) on a loopback httptest server, for driving real discordgo
// v0.29.0 sessions in tests. It holds no global state: every Server is
// independent and tests may run in parallel.
//
// # Wiring a session
//
//	srv := discordtest.New(discordtest.Options{Logf: t.Logf})
//	defer srv.Close()                       // after the sessions are closed
//	bot := srv.AddBot("token-master")       // Bot{Token, UserID, AppID, Username}
//	g := srv.AddGuild(discordtest.Guild{ID: "100", Name: "Bliss",
//		Channels: []*discordgo.Channel{{ID: "300", Name: "general", Type: discordgo.ChannelTypeGuildText}},
//		Members:  []*discordgo.Member{{User: &discordgo.User{ID: bot.UserID}}}})
//	s, _ := srv.NewSession(bot)             // or set s.Client = srv.HTTPClient(); s.Dialer = srv.Dialer()
//	s.AddHandler(...)
//	s.Open()                                // IDENTIFY -> READY -> GUILD_CREATE per guild
//	defer discordtest.CloseSessions(s)      // parallel Close
//
// OpenSession(ctx, bot, setup) does NewSession + setup + Open and waits
// until discordgo's State holds all of the bot's guilds (GUILD_CREATE is
// processed after Open returns). WaitState polls a session's State.
//
// HTTPClient/Transport rewrite https://discord.com (and discordapp.com) to
// the fake and refuse every other host; GET /gateway returns the fake's ws
// URL, so discordgo's endpoint variables are never touched. Each call
// returns a fresh client/dialer: give every session its own. Close the
// discordgo sessions (in parallel: each Close sleeps 1 s) before
// Server.Close, or set ShouldReconnectOnError=false, otherwise discordgo
// keeps reconnecting.
//
// # Gateway
//
// HELLO (Options.HeartbeatInterval), IDENTIFY -> READY (session_id, user =
// bot user, application.id = AppID, guilds unavailable) then GUILD_CREATE
// for each guild the bot is a member of (channels, threads, roles,
// members). Heartbeats are ACKed. RESUME replays the missed dispatches of
// the session by sequence, then RESUMED; a RESUME of an unknown/invalidated
// session gets op 9. A client close with code 1000/1001 invalidates the
// session (as on Discord; discordgo's Close uses 1000). When IDENTIFY asks
// for compress (discordgo does by default) dispatches are sent as
// zlib-compressed binary frames (Options.DisableCompression to turn off).
// Unknown tokens are closed with 4004. op 8 (RequestGuildMembers) is
// answered with one GUILD_MEMBERS_CHUNK. Test controls: Reconnect (op 7),
// InvalidateSession (op 9), DropConnection (abrupt socket close; session
// stays resumable), SuppressHeartbeatACKs (zombie connection), Dispatch
// (any event), GatewayStats / WaitGateway / WaitConnected.
// Options.EnforceGatewayRateLimit closes connections sending more than
// 120 payloads per 60 s with 4008. Interact and Dispatch need a live
// session: after DropConnection/Reconnect, WaitConnected first. Intents are only enforced
// with Options.EnforceIntents (then GUILD_MEMBER_* needs GUILD_MEMBERS and
// guild message content needs MESSAGE_CONTENT unless the bot is the author
// or mentioned); otherwise every bot in a guild receives all its events.
// Message mentions (<@id>, <@&role>, @everyone) are parsed into Mentions,
// MentionRoles and MentionEveryone.
//
// discordgo v0.29.0 caveat (observed with this fake): on a dropped
// connection its heartbeat and read goroutines can both run Close +
// reconnect; the loser then closes the freshly RESUMEd connection with
// 1000, which invalidates the session (as Discord does), so the bot
// re-IDENTIFYs and missed events are lost. The window is a heartbeat tick,
// so it is frequent with short intervals. Also, CloseWithCode holds the
// session lock for 1 s, stalling ACK processing, and discordgo's ACK
// timeout is 5 × interval. Keep the default HeartbeatInterval in tests
// that exercise reconnects; use a short one only to test heartbeats.
//
// # Interactions
//
// Interact(ctx, bot, Interaction{...}) sends INTERACTION_CREATE (slash
// command, autocomplete, component, modal submit; a zero Type is
// inferred) and returns an *InteractionHandle: WaitResponse (the callback), WaitFinal (the callback,
// or after a deferral the first edit/followup), WaitN, WaitFor,
// Responses, Original. Application-command interactions require that the
// bot registered the command (guild or global) unless
// Options.AllowUnregisteredCommands; the given options are checked against
// the registered definition (names, types, subcommands, required options,
// choices; autocomplete needs exactly one Focused option), and so are the
// command's contexts / dm_permission (and, with
// Options.EnforceCommandPermissions, default_member_permissions). User, role and
// channel options get "resolved" data filled in from the fake's state.
// Helpers: StringOpt, IntOpt, BoolOpt, UserOpt, ChannelOpt, RoleOpt,
// SubCommand, SubCommandGroup, Focused. Interaction IDs are snowflakes
// carrying the dispatch time of Options.Clock. member.permissions and
// app_permissions are computed for the channel (roles and overwrites).
//
// The fake is strict, like Discord:
//   - a second callback for one interaction: 400 {"code":40060}
//   - a callback later than Options.AckDeadline (3 s) after dispatch:
//     404 {"code":10062}; use NewManualClock to test this without sleeping
//   - followups/edits after Options.TokenLifetime (15 min): 401 {"code":50027};
//     a followup before any callback: 404 {"code":10015}
//   - callback types must fit the interaction type (no 6/7 for commands,
//     8 only for autocomplete, no modal in answer to a modal submit)
//   - message, embed, component, modal, choice and command limits (see the
//     Max* constants) answer 400 {"code":50035,"message":"Invalid Form
//     Body","errors":{...}} with Discord's nested error shape; an empty
//     message answers 50006. Modals may only contain action rows with one
//     text input each (discordgo v0.29.0 cannot decode Label components).
//
// Non-ephemeral responses and followups become channel messages (with
// MESSAGE_CREATE to the guild's bots); type 7 edits the component's
// message (MESSAGE_UPDATE); the first followup after a type-5 deferral
// replaces the "thinking" message, as on Discord.
//
// # REST
//
// Implemented (all under /api/v9): gateway(/bot); (oauth2/)applications/@me
// (flags of the privileged intents switched on); users/@me, users/{id},
// users/@me/channels (DMs), users/@me/guilds; interaction callback;
// webhooks/{app}/{token} (followups, ?wait=true) and
// .../messages/{@original|id} GET/PATCH/DELETE; applications/{app}/commands
// and .../guilds/{g}/commands GET/PUT(bulk)/POST and /{id}
// GET/PATCH/DELETE (IDs kept across overwrites); channels/{c} GET/PATCH/
// DELETE (CHANNEL_/THREAD_UPDATE/DELETE; deleting deletes its threads);
// channels/{c}/messages GET (limit/before/after/around)/POST and /{m}
// GET/PATCH/DELETE, bulk-delete (2–100, < 14 days); channels/{c}/permissions/{id}
// PUT/DELETE (overwrites); threads with and without a message (and forum posts),
// thread-members; reactions, pins and typing (accepted, not stored);
// guilds/{g}, guilds/{g}/channels GET/POST (500-channel and 50-per-category
// caps), guilds/{g}/threads/active, members list/get/PATCH (nick, roles,
// timeout)/DELETE (kick), member role add/remove (GUILD_MEMBER_UPDATE),
// roles list/create/edit/delete (GUILD_ROLE_*). Sending to an archived
// thread unarchives it (locked: 50083); adding a member to an archived
// thread answers 50083.
//
// Private threads are visible only to their members and to holders of
// MANAGE_THREADS (or Administrator): other bots get 50001 and no events
// from them, and SendMessage refuses a user who is not a member. A message
// in a private thread that mentions users or roles (as allowed_mentions
// lets it ping) adds those members, when they can view the parent, with
// THREAD_MEMBERS_UPDATE, as Discord does. Uploads (multipart payload_json
// + files[n]; at most MaxFiles files of MaxFileSize bytes, else 50035 /
// 413 40005) become attachments whose cdn.discordapp.com URLs the fake
// serves (through its transports) and Attachment returns. Messages carry
// their components in REST replies, dispatches and snapshots. DMs: a user
// with SetDMsClosed, or one RemoveMember left sharing no guild with the
// bot, cannot be messaged (403 50007). Mutations emit the gateway events
// discordgo's State needs. Unknown routes answer 404 {"code":0}. Bots must be in the guild of a
// channel they touch (403 50001). Every request is recorded as a Call per
// bot (Calls, Errors, AllCalls, WaitCall), identified by its
// Authorization header; Errors lists the calls answered with status >= 400,
// injected failures included.
//
// # Permissions (opt-in)
//
// With Options.EnforcePermissions, REST calls check the calling bot's
// permissions like Discord (owner, Administrator, @everyone and role
// permissions, channel overwrites; threads use the parent's) and answer
// 403 {"code":50013} (50001 when the bot cannot view the channel):
// sending (SEND_MESSAGES, in threads SEND_MESSAGES_IN_THREADS, files
// ATTACH_FILES), reading history, creating public/private threads,
// adding thread members, managing channels/threads/messages/roles (with
// role hierarchy by Position), kicking, nicknames, timeouts, reactions,
// pins. Permissions(channelID, userID) shows what the fake computes.
// Options.EnforceRenameLimit applies the undocumented 2 renames per
// channel per 10 minutes (429).
//
// # Fault injection
//
// FailNext(bot, route, status, count), RateLimitNext(bot, route,
// retryAfter, global, count) and InjectFailure(bot, Failure{...}). A 429
// carries {"message","retry_after","global"} plus Retry-After and
// X-RateLimit-{Limit,Remaining,Reset,Reset-After,Bucket,Scope,Global}
// headers; discordgo retries it (forever, so keep counts finite). 502 is
// retried by discordgo up to 3 times; 500 is not. Route builds a matcher
// from "METHOD" and a path pattern with "*" segments and a final "**".
//
// # Test-side state
//
// AddBot, AddGuild, AddMember (GUILD_MEMBER_ADD), AddBotToGuild
// (GUILD_CREATE), SetMemberRoles (GUILD_MEMBER_UPDATE), SendMessage (a
// user posts; MESSAGE_CREATE to the guild's bots), SendFiles (with
// uploads), RemoveMember, SetDMsClosed, ThreadMembers, Attachment, DMChannel, Channel,
// Channels, Messages, WaitMessage, GuildState, Commands, Permissions.
// NewManualClock gives a Clock that only moves on Advance; SnowflakeTime
// decodes an ID's timestamp. State accessors return copies.
package discordtest
