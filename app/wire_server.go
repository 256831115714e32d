package app

import (
	"context"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/serverstore"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/server"
	"github.com/blissark/bliss/jobs/countdown"
)

// decaySpec is how often new snapshots are checked for bases decaying
// within 24 h (posted once per snapshot).
const decaySpec = "@every 5m"

// audit returns the one bots.Auditor (audit row in SQLite, then a post in
// the guild's admin log channel). Every bot's wiring takes it from here;
// it only needs a.db and a.guilds, so any wire step after the guild store
// exists may call it. The post goes out through the Server bot's session,
// or the Master bot's when the Server bot is not connected.
func (a *appliance) audit() bots.Auditor {
	if a.auditor == nil {
		a.auditor = bots.NewAuditor(serverstore.Audit{DB: a.db}, a.postEmbed, a.guilds)
	}
	return a.auditor
}

// session is the session appliance posts go out through: the Server
// bot's, or the Master bot's when the Server bot is not connected.
func (a *appliance) session(what string) (*discordgo.Session, error) {
	if a.sup == nil {
		return nil, fmt.Errorf("%s: bots not wired", what)
	}
	s := a.sup.Session(bots.Server)
	if s == nil {
		s = a.sup.Session(bots.Master)
	}
	if s == nil {
		return nil, fmt.Errorf("%s: no bot connected", what)
	}
	return s, nil
}

// postEmbed posts an embed as the Server bot (or the Master bot), with
// mentions disabled.
func (a *appliance) postEmbed(ctx context.Context, channelID string, e *discordgo.MessageEmbed) error {
	return a.postFiles(ctx, channelID, e, nil)
}

// postFiles posts an embed with attachments (the decay post's base map)
// like postEmbed.
func (a *appliance) postFiles(ctx context.Context, channelID string, e *discordgo.MessageEmbed, files []*discordgo.File) error {
	s, err := a.session("post")
	if err != nil {
		return err
	}
	_, err = s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e}, Files: files,
		AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("post to %s: %w", channelID, err)
	}
	return nil
}

// editEmbed replaces a message's embeds and removes its components (a
// countdown announcement when the countdown ends), as the Server bot (or
// the Master bot).
func (a *appliance) editEmbed(ctx context.Context, channelID, messageID string, e *discordgo.MessageEmbed) error {
	s, err := a.session("edit")
	if err != nil {
		return err
	}
	embeds, comps := []*discordgo.MessageEmbed{e}, []discordgo.MessageComponent{}
	_, err = s.ChannelMessageEditComplex(&discordgo.MessageEdit{Channel: channelID, ID: messageID, Embeds: &embeds,
		Components: &comps, AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("edit %s/%s: %w", channelID, messageID, err)
	}
	return nil
}

// serverDetails adapts the server-details cache to the Server bot.
type serverDetails struct{ a *appliance }

func (d serverDetails) Details(ctx context.Context, id int64) (server.ServerState, error) {
	x, err := d.a.sd.Get(ctx, id)
	if err != nil {
		return server.ServerState{}, err
	}
	return server.ServerState{Name: x.Name, Map: x.Map, Status: x.Status, Addr: x.Addr(), Players: x.PlayerCurrent,
		Slot: max(x.PlayerMax, x.Slots), Stale: x.Stale, SavedAt: x.SavedAt}, nil
}

// wireServer wires the Server management bot, its countdown runner and
// the once-per-snapshot decay check. It runs after wireServers (RCON pool,
// details cache).
func (a *appliance) wireServer(ctx context.Context) error {
	log := a.log.With("component", "serverbot")
	names := func(id int64) string {
		if d, ok := a.sd.Peek(id); ok {
			return d.Name
		}
		return ""
	}
	if n, err := serverstore.MoveCountdowns(ctx, a.db, a.state); err != nil {
		return fmt.Errorf("countdowns: move to the state file: %w", err)
	} else if n > 0 {
		log.Info("countdowns moved from SQLite to the state file", "count", n)
	}
	runner, err := countdown.New(countdown.Options{
		Store:   serverstore.Countdowns{State: a.state},
		Servers: serverstore.GameServers{RCON: a.rcon, Nitrado: a.nitrado, Names: names, Changed: a.sd.Invalidate},
		Report:  serverstore.Report(a.postEmbed, a.editEmbed, a.audit(), log),
		Logger:  log,
	})
	if err != nil {
		return fmt.Errorf("countdowns: %w", err)
	}
	a.countdowns = runner
	a.svcs = append(a.svcs, service{"countdowns", runner.Run})

	info := serverstore.Info{DB: a.db}
	// Map backgrounds are downloaded from Discord's CDN: through the
	// Discord transport when one is set (the sandbox's fake), else directly.
	bgOpts := server.BackgroundOptions{Store: serverstore.MapImages{DB: a.db}}
	if a.discord.newHTTPClient != nil {
		bgOpts.Client = a.discord.newHTTPClient()
	}
	backgrounds := server.NewBackgrounds(bgOpts)
	r := server.New(server.Deps{
		Store: a.guilds, RCON: a.rcon, Nitrado: a.nitrado, Details: serverDetails{a}, Info: info,
		Audit: a.audit(), Countdowns: serverstore.Scheduler{Runner: runner}, Schedules: a.nitrado,
		Backgrounds: backgrounds,
	})
	if err := a.sup.Handle(bots.Server, r); err != nil {
		return fmt.Errorf("bots: %w", err)
	}
	decay := server.DecayDeps{Store: a.guilds, Info: info, Marks: a.db, Post: a.postEmbed, PostFiles: a.postFiles,
		Backgrounds: backgrounds}
	return a.sched.Add("server/decay", decaySpec, func(ctx context.Context) error {
		links, err := a.db.AllServers(ctx)
		if err != nil {
			return fmt.Errorf("decay check: %w", err)
		}
		var ids []string
		seen := map[string]bool{}
		for _, l := range links {
			if !seen[l.GuildID] {
				seen[l.GuildID] = true
				ids = append(ids, l.GuildID)
			}
		}
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		return server.CheckDecay(cctx, decay, ids)
	})
}
