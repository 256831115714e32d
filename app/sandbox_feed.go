package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/jobs/livefeed"
	"github.com/blissark/bliss/storage"
)

// Live feed scenes: the chat bridge both ways, one log thread and a tribe's
// private thread with its linked member.

// feedPoll runs the feed's poll job of a server now (after feed/sync has
// given it one), as BLISS_CHAT_POLL would.
func (sb *sandbox) feedPoll(ctx context.Context, id int64) error {
	if err := sb.app.sched.Trigger(ctx, feedSyncJob); err != nil {
		return fmt.Errorf("feed sync: %w", err)
	}
	err := sb.app.sched.Trigger(ctx, feedJobName(id))
	switch {
	case err == nil, errors.Is(err, jobs.ErrRunning): // the scheduled run is doing it
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		sb.say("[livefeed] poll: %s", oneLine(err)) // e.g. a log kind without a channel
	}
	return nil
}

// feedThread finds the thread named name under a channel named parent.
func (sb *sandbox) feedThread(parentName, name string) string {
	parents := map[string]bool{}
	for _, c := range sb.discord.Channels(sb.guild.ID) {
		if c.Name == parentName || c.ID == parentName {
			parents[c.ID] = true
		}
	}
	for _, c := range sb.threads() {
		if parents[c.ParentID] && c.Name == name {
			return c.ID
		}
	}
	return ""
}

func sceneFeedBridge(ctx context.Context, sb *sandbox) error {
	wctx, cancel := context.WithTimeout(ctx, 3*sb.opts.stepTimeout)
	defer cancel()
	s := sb.servers[0]
	sb.say("> in game on %s: Survivor42 (Kate) says “hello from the island”", s.name)
	s.rcon.AddChat("Survivor42 (Kate): hello from the island")
	if err := sb.feedPoll(wctx, s.id); err != nil {
		return err
	}
	var thread string
	if err := waitUntil(wctx, "the chat-bridge thread", func() bool {
		thread = sb.feedThread("chat-bridge", livefeed.ThreadName(s.name))
		return thread != ""
	}); err != nil {
		return err
	}
	m, err := sb.discord.WaitMessage(wctx, thread, func(m *discordgo.Message) bool {
		return strings.Contains(m.Content, "hello from the island")
	})
	if err != nil {
		return fmt.Errorf("game line in the bridge thread: %w", err)
	}
	sb.say("[discord #chat-bridge › %s] %s", livefeed.ThreadName(s.name), m.Content)
	for _, c := range sb.discord.Calls(sb.bots[bots.Server]) {
		if c.Method == http.MethodPost && c.Path == "/channels/"+thread+"/messages" {
			if !strings.Contains(string(c.Body), `"enforce_nonce":true`) || !strings.Contains(string(c.Body), `"nonce":"bl`) {
				return fmt.Errorf("bridge post without nonce/enforce_nonce: %s", c.Body)
			}
			sb.say("[livefeed] posted with the outbox row's nonce and enforce_nonce")
			break
		}
	}

	sb.say("> the player writes in the thread: “hi from discord, <@%s> **bold**”", sbUserAdmin)
	before := len(s.rcon.Commands())
	dm, err := sb.discord.SendMessage(thread, sb.users["player"], fmt.Sprintf("hi from discord, <@%s> **bold**", sbUserAdmin))
	if err != nil {
		return err
	}
	var sent string
	if err := waitUntil(wctx, "ServerChat on the game server", func() bool {
		for _, c := range s.rcon.Commands()[before:] {
			if strings.HasPrefix(c, "ServerChat ") {
				sent = c
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	sb.say("[rcon %s] %s", s.name, sent)
	if err := waitUntil(wctx, "the ✅ reaction", func() bool {
		for _, c := range sb.discord.Calls(sb.bots[bots.Server]) {
			if c.Method == http.MethodPut && strings.HasPrefix(c.Path, "/channels/"+thread+"/messages/"+dm.ID+"/reactions/") && c.Status < 300 {
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	sb.say("[discord] ✅ on the player's message")
	// The echo ("SERVER: …") comes back through GetChat and is not posted.
	n := len(sb.discord.Messages(thread))
	if err := sb.feedPoll(wctx, s.id); err != nil {
		return err
	}
	if got := len(sb.discord.Messages(thread)); got != n {
		return fmt.Errorf("the bridge posted its own echo: %d messages, want %d", got, n)
	}
	sb.say("[livefeed] the SERVER: echo was read back by GetChat and not posted again")
	return nil
}

func sceneFeedLog(ctx context.Context, sb *sandbox) error {
	wctx, cancel := context.WithTimeout(ctx, 3*sb.opts.stepTimeout)
	defer cancel()
	s := sb.servers[0]
	line := "2026.09.02_10.29.11: AdminCmd: SaveWorld (PlayerName: AFP_Smokey, ARKID: 827627995, PlatformID: 000283de23c04f9f81016833cce8691d)"
	sb.say("> the game log of %s: %s", s.name, line)
	s.rcon.AddGameLog(line)
	if err := sb.feedPoll(wctx, s.id); err != nil {
		return err
	}
	name := livefeed.ThreadName(s.name) + " admin"
	var thread string
	if err := waitUntil(wctx, "the admin log thread", func() bool {
		thread = sb.feedThread(sbChanAdminLog, name)
		return thread != ""
	}); err != nil {
		return err
	}
	m, err := sb.discord.WaitMessage(wctx, thread, func(m *discordgo.Message) bool { return strings.Contains(m.Content, "SaveWorld") })
	if err != nil {
		return fmt.Errorf("admin command in the log thread: %w", err)
	}
	sb.say("[discord #admin-log › %s] %s", name, m.Content)
	return nil
}

// sceneFeedTribeThread: with tribe_log_threads on, a tribe-log line of the
// player's tribe opens the tribe's private thread under #tribe-log, and the
// player (linked by /ap link to a member of that tribe in the latest save)
// is added to it at once; staff outside the tribe do not see it, and the
// periodic membership pass changes nothing (the membership is stored).
func sceneFeedTribeThread(ctx context.Context, sb *sandbox) error {
	wctx, cancel := context.WithTimeout(ctx, 3*sb.opts.stepTimeout)
	defer cancel()
	link, err := sb.app.db.LinkByDiscord(wctx, sb.guild.ID, sbUserPlayer)
	if err != nil {
		return fmt.Errorf("the player's link (made by the AP scenes): %w", err)
	}
	var srv *sandboxServer
	var player storage.PlayerRow
	for _, s := range sb.servers {
		if p, err := sb.app.db.PlayerByEOS(wctx, s.id, link.EOSID); err == nil && p.TribeID != 0 && p.TribeName != "" {
			srv, player = s, p
			break
		}
	}
	if srv == nil {
		return fmt.Errorf("the player's EOS id is in no tribe of the latest saves")
	}
	// Private threads need Create Private Threads: the admin gives the
	// Server bot a role that has it, and a #tribe-log channel.
	bot := sb.bots[bots.Server]
	if err := sb.discord.SetMemberRoles(sb.guild.ID, bot.UserID, []string{sbRoleAdmin}); err != nil {
		return err
	}
	defer func() { _ = sb.discord.SetMemberRoles(sb.guild.ID, bot.UserID, nil) }()
	s := sb.app.sup.Session(bots.Server)
	if s == nil {
		return errors.New("the Server bot is not connected")
	}
	ch, err := s.GuildChannelCreate(sb.guild.ID, "tribe-log", discordgo.ChannelTypeGuildText, discordgo.WithContext(wctx))
	if err != nil {
		return fmt.Errorf("create #tribe-log: %w", err)
	}
	gs, err := sb.app.guilds.GuildSettings(wctx, sb.guild.ID)
	if err != nil {
		return err
	}
	gs.Set("tribe_log_channel", ch.ID)
	gs.Set(tribeThreadsSetting.Key, "true")
	if err := sb.app.guilds.SaveGuildSettings(wctx, gs); err != nil {
		return err
	}
	sb.say("> /config set tribe_log_channel #tribe-log, tribe_log_threads true")
	line := fmt.Sprintf("2026.09.02_10.31.00: Tribe %s, ID %d: Day 212, 10:31:00: Your Tribe Tamed a Dodo - Lvl 12 (Dodo)!", player.TribeName, player.TribeID)
	sb.say("> the game log of %s: a line of %s", srv.name, player.TribeName)
	srv.rcon.AddGameLog(line)
	if err := sb.feedPoll(wctx, srv.id); err != nil {
		return err
	}
	name := livefeed.ThreadName(srv.name) + " tribe " + player.TribeName
	var thread string
	if err := waitUntil(wctx, "the tribe's private thread", func() bool {
		thread = sb.feedThread(ch.ID, name)
		return thread != ""
	}); err != nil {
		return err
	}
	m, err := sb.discord.WaitMessage(wctx, thread, func(m *discordgo.Message) bool { return strings.Contains(m.Content, "Tamed a Dodo") })
	if err != nil {
		return fmt.Errorf("tribe line in the tribe thread: %w", err)
	}
	sb.say("[discord #tribe-log › %s (private)] %s", name, m.Content)
	members, _ := sb.discord.ThreadMembers(thread)
	if !slices.Contains(members, sbUserPlayer) {
		return fmt.Errorf("the linked player is not in the tribe thread (members %v)", members)
	}
	sb.say("[livefeed] @player (linked to %s, in %s in the latest save) was added to the thread when it was created", link.Name, player.TribeName)
	if _, err := sb.discord.SendMessage(thread, sb.users["player"], "our dodo!"); err != nil {
		return fmt.Errorf("the player cannot post in the tribe thread: %w", err)
	}
	if _, err := sb.discord.SendMessage(thread, sb.users["staff"], "hello?"); err == nil {
		return errors.New("staff outside the tribe (no Manage Threads) could post in the private thread")
	}
	sb.say("[discord] @player writes in the thread; @staff (not in the tribe) cannot see it")
	puts := func() int {
		n := 0
		for _, c := range sb.discord.Calls(bot) {
			if c.Method == http.MethodPut && strings.Contains(c.Path, "/thread-members/") {
				n++
			}
		}
		return n
	}
	before := puts()
	if err := sb.app.sched.Trigger(wctx, feedMembersJob); err != nil && !errors.Is(err, jobs.ErrRunning) {
		return fmt.Errorf("%s: %w", feedMembersJob, err)
	}
	if got := puts(); got != before {
		return fmt.Errorf("the membership pass added members again (%d PUT calls, want %d)", got, before)
	}
	sb.say("[jobs] %s: nothing to change (who was added is stored)", feedMembersJob)
	return nil
}
