package bots

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// BotKind identifies one of the six bots. Each kind runs its own session with
// its own token (and so its own Discord rate-limit buckets).
type BotKind string

// The six bots.
const (
	Master    BotKind = "master"
	Server    BotKind = "server"
	AP        BotKind = "ap"
	GP        BotKind = "gp"
	Ticket    BotKind = "ticket"
	Assistant BotKind = "assistant"
)

// Kinds lists every bot kind in display order.
func Kinds() []BotKind { return []BotKind{Master, Server, AP, GP, Ticket, Assistant} }

// Permission bits used by the bots (discord-api-docs topics/permissions.mdx).
const (
	// PermViewChannel (1<<10) lets the bot see the channels it posts in.
	PermViewChannel int64 = discordgo.PermissionViewChannel
	// PermSendMessages (1<<11) posts messages in text channels (not threads).
	PermSendMessages int64 = discordgo.PermissionSendMessages
	// PermEmbedLinks (1<<14) is needed for embeds to render.
	PermEmbedLinks int64 = discordgo.PermissionEmbedLinks
	// PermAttachFiles (1<<15) uploads files (transcripts, exports).
	PermAttachFiles int64 = discordgo.PermissionAttachFiles
	// PermReadMessageHistory (1<<16) reads earlier messages (edit the status
	// board, read ticket history for transcripts).
	PermReadMessageHistory int64 = discordgo.PermissionReadMessageHistory
	// PermManageChannels (1<<4) creates the "Chat Bridge" channel.
	PermManageChannels int64 = discordgo.PermissionManageChannels
	// PermManageThreads (1<<34) archives, locks and renames threads.
	PermManageThreads int64 = discordgo.PermissionManageThreads
	// PermCreatePublicThreads (1<<35) creates the per-server bridge/log threads.
	PermCreatePublicThreads int64 = discordgo.PermissionCreatePublicThreads
	// PermCreatePrivateThreads (1<<36) creates private ticket threads.
	PermCreatePrivateThreads int64 = discordgo.PermissionCreatePrivateThreads
	// PermSendMessagesInThreads (1<<38) talks in threads; SEND_MESSAGES has
	// no effect there.
	PermSendMessagesInThreads int64 = discordgo.PermissionSendMessagesInThreads
)

// permBasic is what every bot needs to answer in a channel and post embeds.
const permBasic = PermViewChannel | PermSendMessages | PermEmbedLinks | PermReadMessageHistory

// KindInfo is the static metadata of a bot kind.
type KindInfo struct {
	Kind        BotKind
	DisplayName string
	// Permissions is the exact bitfield the bot's invite link requests.
	Permissions int64
	// Intents are the gateway intents the session identifies with. Privileged
	// intents (MessageContent) must also be enabled in the developer portal.
	Intents discordgo.Intent
	// Purpose is a one-line description shown by /setup.
	Purpose string
}

// PrivilegedIntents names the privileged gateway intents bot k identifies
// with, as the Developer Portal labels them (Application → Bot →
// Privileged Gateway Intents); each must be switched on there, or Discord
// closes the bot's gateway connection with 4014.
func (k BotKind) PrivilegedIntents() []string {
	in := k.Info().Intents
	var out []string
	if in&discordgo.IntentMessageContent != 0 {
		out = append(out, "Message Content")
	}
	if in&discordgo.IntentGuildMembers != 0 {
		out = append(out, "Server Members")
	}
	if in&discordgo.IntentGuildPresences != 0 {
		out = append(out, "Presence")
	}
	return out
}

// Info returns the metadata of k. Unknown kinds get a zero Permissions field
// and the Guilds intent.
func (k BotKind) Info() KindInfo {
	switch k {
	case Master:
		// Answers /setup, /config, /servers, /status and posts to log channels.
		return KindInfo{k, "Bliss Master", permBasic, discordgo.IntentsGuilds,
			"setup, configuration, servers, appliance status"}
	case Server:
		// Chat bridge and log threads: creates the bridge channel
		// (ManageChannels), one public thread per server
		// (CreatePublicThreads, SendMessagesInThreads, ManageThreads to
		// unarchive), a private thread per tribe with tribe_log_threads
		// (CreatePrivateThreads; adding members needs SendMessagesInThreads),
		// uploads exports (AttachFiles); reads Discord → game chat
		// (GuildMessages + privileged MessageContent).
		return KindInfo{k, "Bliss Server", permBasic | PermAttachFiles | PermManageChannels |
			PermCreatePublicThreads | PermCreatePrivateThreads | PermSendMessagesInThreads | PermManageThreads,
			discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentMessageContent,
			"RCON, players, chat bridge, logs, save data"}
	case AP:
		return KindInfo{k, "Bliss Activity Points", permBasic, discordgo.IntentsGuilds,
			"activity points, shop, leaderboard"}
	case GP:
		return KindInfo{k, "Bliss Guardian Points", permBasic, discordgo.IntentsGuilds,
			"guardian points, donations, orders"}
	case Ticket:
		// Private ticket threads (CreatePrivateThreads, SendMessagesInThreads,
		// ManageThreads to archive/lock), transcripts (ReadMessageHistory,
		// AttachFiles, privileged MessageContent to read the text).
		return KindInfo{k, "Bliss Tickets", permBasic | PermAttachFiles |
			PermCreatePrivateThreads | PermSendMessagesInThreads | PermManageThreads,
			discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentMessageContent,
			"support tickets"}
	case Assistant:
		return KindInfo{k, "Bliss Assistant", PermViewChannel | PermSendMessages | PermEmbedLinks,
			discordgo.IntentsGuilds, "timestamps, teleport points, coordinates"}
	}
	return KindInfo{Kind: k, DisplayName: string(k), Intents: discordgo.IntentsGuilds}
}

// Valid reports whether k is one of the six kinds.
func (k BotKind) Valid() bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// InviteURL returns the OAuth2 URL that adds bot k with application id
// appID to a guild, requesting exactly k's permissions. guildID may be
// empty; when set, the guild is preselected.
func InviteURL(k BotKind, appID, guildID string) string {
	q := "client_id=" + url.QueryEscape(appID) +
		"&permissions=" + strconv.FormatInt(k.Info().Permissions, 10) +
		"&scope=bot+applications.commands"
	if guildID != "" {
		q += "&guild_id=" + url.QueryEscape(guildID) + "&disable_guild_select=true"
	}
	return "https://discord.com/oauth2/authorize?" + q
}

// Invite is one line of `bliss invite`.
type Invite struct {
	Kind BotKind
	URL  string // empty when the bot has no application id
}

// InviteURLs returns the invite link of every configured bot, in Kinds
// order, for `bliss invite`. Bots without an AppID get an empty URL.
func InviteURLs(bots []BotConfig) []Invite {
	var out []Invite
	for _, k := range Kinds() {
		for _, b := range bots {
			if b.Kind != k {
				continue
			}
			inv := Invite{Kind: k}
			if b.AppID != "" {
				inv.URL = InviteURL(k, b.AppID, "")
			}
			out = append(out, inv)
		}
	}
	return out
}

// String implements fmt.Stringer.
func (i Invite) String() string {
	if i.URL == "" {
		return fmt.Sprintf("%-10s (no application id configured)", i.Kind)
	}
	return fmt.Sprintf("%-10s %s", i.Kind, i.URL)
}
