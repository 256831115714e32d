package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// DecayMarks remembers which snapshots' decay warnings were posted.
type DecayMarks interface {
	// MarkDecayPosted returns false when (guild, server, run) was marked.
	MarkDecayPosted(ctx context.Context, guildID string, serverID int64, runID string) (bool, error)
	UnmarkDecayPosted(ctx context.Context, guildID string, serverID int64, runID string) error
}

// DecayDeps are what CheckDecay needs.
type DecayDeps struct {
	Store bots.GuildStore
	Info  InfoStore
	Marks DecayMarks
	Post  bots.PostFunc
	// PostFiles, when set and Info implements MapStore, posts the warning
	// with the server's base map attached (coloured by time to decay).
	PostFiles func(ctx context.Context, channelID string, e *discordgo.MessageEmbed, files []*discordgo.File) error
	Now       func() time.Time
	Within    time.Duration // overrides the guild's decay_warning_hours when set
	// Backgrounds, when set, draws the guild's picture of the map under
	// the decay map (the same value the bot's Deps carry).
	Backgrounds *Backgrounds
}

// CheckDecay posts, once per snapshot of each server of each guild, the
// bases decaying within decay_warning_hours (24 h) to the guild's admin log channel. Guilds
// without an admin log channel are skipped (and not marked, so setting the
// channel later still posts the current snapshot).
func CheckDecay(ctx context.Context, d DecayDeps, guildIDs []string) error {
	if d.Now == nil {
		d.Now = time.Now
	}
	var errs []error
	for _, g := range guildIDs {
		if err := checkGuildDecay(ctx, d, g); err != nil {
			errs = append(errs, fmt.Errorf("guild %s: %w", g, err))
		}
	}
	return errors.Join(errs...)
}

func checkGuildDecay(ctx context.Context, d DecayDeps, guildID string) error {
	gs, err := d.Store.GuildSettings(ctx, guildID)
	if err != nil {
		return err
	}
	ch := gs.LogChannels["admin"]
	if ch == "" {
		return nil
	}
	within := d.Within
	if within <= 0 {
		within = time.Duration(gs.Number(settingDecayHours) * float64(time.Hour))
	}
	ss, err := d.Store.Servers(ctx, guildID)
	if err != nil || len(ss) == 0 {
		return err
	}
	sc := scope{servers: ss, names: map[int64]string{}, ids: ids(ss)}
	for _, s := range ss {
		sc.names[s.ServiceID] = serverName(s)
	}
	times, err := d.Info.SnapshotTimes(ctx, sc.ids)
	if err != nil {
		return err
	}
	for _, t := range times {
		fresh, err := d.Marks.MarkDecayPosted(ctx, guildID, t.ServerID, t.RunID)
		if err != nil || !fresh {
			if err != nil {
				return err
			}
			continue
		}
		bs, total, err := d.Info.Bases(ctx, []int64{t.ServerID}, BaseQuery{OrderByDecay: true,
			DecaysBefore: d.Now().Add(within), Limit: 15})
		if err == nil && total > 0 {
			err = postDecay(ctx, d, guildID, ch, sc, t, decayEmbed(sc, t, bs, total, within))
		}
		if err != nil {
			_ = d.Marks.UnmarkDecayPosted(ctx, guildID, t.ServerID, t.RunID)
			return err
		}
	}
	return nil
}

func decayEmbed(sc scope, t SnapshotTime, bs []Base, total int, within time.Duration) *discordgo.MessageEmbed {
	var lines []string
	for _, x := range bs {
		lines = append(lines, baseLine(x, sc, true, true))
	}
	if total > len(bs) {
		lines = append(lines, fmt.Sprintf("… and %d more (/info decay)", total-len(bs)))
	}
	return embed.New().Color(embed.ColorWarning).
		Title(fmt.Sprintf("🏚️ %d bases decaying within %d h — %s", total, int(within.Hours()), sc.name(t.ServerID))).
		Description("Save of " + rel(t.At) + "\n\n" + embed.Truncate(strings.Join(lines, "\n"), 3800)).
		Footer("save of " + t.At.UTC().Format("2006-01-02 15:04 UTC")).Embed()
}

// postDecay posts a decay warning, with the base map when it can be drawn
// (a failed picture still posts the list).
func postDecay(ctx context.Context, d DecayDeps, guildID, ch string, sc scope, t SnapshotTime, e *discordgo.MessageEmbed) error {
	maps, ok := d.Info.(MapStore)
	if d.PostFiles == nil || !ok {
		return d.Post(ctx, ch, e)
	}
	f, ok, err := renderBaseMap(ctx, maps, t.ServerID, sc.name(t.ServerID),
		baseMapOptions{decay: true, private: true, guildID: guildID, titleNote: " - red decays first", backgrounds: d.Backgrounds}, d.Now())
	if err != nil || !ok {
		return d.Post(ctx, ch, e)
	}
	e.Image = &discordgo.MessageEmbedImage{URL: "attachment://" + f.Name}
	return d.PostFiles(ctx, ch, e, []*discordgo.File{f})
}
