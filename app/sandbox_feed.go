package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/jobs/livefeed"
)

// Live feed scenes: the chat bridge both ways and one log thread.

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
