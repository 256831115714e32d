package assistant

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

// Styles are Discord's timestamp styles with what each shows.
var Styles = []struct{ Code, Name string }{
	{"t", "Short time"}, {"T", "Long time"}, {"d", "Short date"}, {"D", "Long date"},
	{"f", "Short date/time"}, {"F", "Long date/time"}, {"R", "Relative"},
}

// zoneFor picks the zone: the option, the user's saved zone, else UTC.
func (b *bot) zoneFor(ctx context.Context, c *bots.Ctx, opt string) (name string, err error) {
	if opt != "" {
		return opt, nil
	}
	if b.Zones != nil {
		z, err := b.Zones.UserTimezone(ctx, c.User.ID)
		if err != nil {
			return "", err
		}
		if z != "" {
			return z, nil
		}
	}
	return "UTC", nil
}

func (b *bot) timestamp(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	zn, err := b.zoneFor(ctx, c, c.String("timezone"))
	if err != nil {
		return nil, err
	}
	loc, err := LoadZone(zn)
	if err != nil {
		return nil, bots.Errorf("%s", err.Error())
	}
	phrase := c.String("when")
	p, err := b.parser.Parse(phrase, b.Now(), loc)
	if errors.Is(err, ErrNotUnderstood) {
		return nil, bots.Errorf("I could not find a date or time in %q. Try \"in 2 hours\", \"tomorrow 18:00\", \"next friday 20:30\", \"2026-12-24 20:00\" or \"8pm\".", embed.Truncate(phrase, 200))
	}
	if err != nil {
		return nil, bots.Errorf("%s", err.Error())
	}
	unix := p.At.Unix()
	var sb strings.Builder
	for _, s := range Styles {
		tag := fmt.Sprintf("<t:%d:%s>", unix, s.Code)
		fmt.Fprintf(&sb, "%s — %s\n`%s`\n", tag, s.Name, tag)
	}
	e := embed.New().Title(p.At.Format("Mon 2 Jan 2006 15:04 MST") + " (" + loc.String() + ")").
		Description(sb.String()).
		Footer(fmt.Sprintf("Unix %d · copy a code line and paste it into any message", unix))
	if p.At.Before(b.Now().Add(-time.Minute)) {
		e.Field("Note", "This is in the past.", false)
	}
	if p.Partial {
		e.Field("Understood", "Only **"+embed.Truncate(p.Understood, 200)+"** of your phrase was used.", false)
	}
	if c.String("timezone") == "" && zn == "UTC" {
		e.Field("Time zone", "Read as UTC. Save yours with `/timezone set`.", false)
	}
	return bots.Reply(e.Build()...), nil
}

func (b *bot) zoneAutocomplete(_ context.Context, _ *bots.Ctx, f *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	typed, _ := f.Value.(string)
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, z := range MatchZones(typed, 25) {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: z, Value: z})
	}
	return out, nil
}

func (b *bot) timezoneSet(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if b.Zones == nil {
		return nil, bots.Errorf("Saving time zones is not available.")
	}
	loc, err := LoadZone(c.String("zone"))
	if err != nil {
		return nil, bots.Errorf("%s", err.Error())
	}
	if err := b.Zones.SetUserTimezone(ctx, c.User.ID, loc.String()); err != nil {
		return nil, err
	}
	now := b.Now().In(loc)
	return bots.Reply(embed.New().Color(embed.ColorSuccess).Title("Time zone saved").
		Description(fmt.Sprintf("**%s** — it is %s there now (UTC%s).", loc.String(), now.Format("15:04"), now.Format("-07:00"))).Embed()), nil
}

func (b *bot) timezoneShow(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	z := ""
	if b.Zones != nil {
		var err error
		if z, err = b.Zones.UserTimezone(ctx, c.User.ID); err != nil {
			return nil, err
		}
	}
	if z == "" {
		return bots.Text("No time zone saved: /timestamp reads times as UTC. Save yours with `/timezone set`."), nil
	}
	return bots.Text(fmt.Sprintf("Your time zone is **%s**.", z)), nil
}

func (b *bot) timezoneClear(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if b.Zones == nil {
		return nil, bots.Errorf("Saving time zones is not available.")
	}
	if err := b.Zones.SetUserTimezone(ctx, c.User.ID, ""); err != nil {
		return nil, err
	}
	return bots.Text("Time zone forgotten: /timestamp reads times as UTC."), nil
}
