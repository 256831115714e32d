package assistant

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// closestShown is how many bases the staff's closest-base list shows.
const closestShown = 3

func (b *bot) coordsLatLon(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	m, err := b.resolveMap(ctx, c.GuildID, c.String("map"))
	if err != nil {
		return nil, err
	}
	lat, lon, z := number(c, "lat", 50), number(c, "lon", 50), number(c, "z", 0)
	x, y := m.UE(lat, lon)
	return b.coordsReply(ctx, c, m, lat, lon, x, y, z)
}

func (b *bot) coordsUE(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	m, err := b.resolveMap(ctx, c.GuildID, c.String("map"))
	if err != nil {
		return nil, err
	}
	x, y, z := number(c, "x", 0), number(c, "y", 0), number(c, "z", 0)
	lat, lon := m.LatLon(x, y)
	return b.coordsReply(ctx, c, m, lat, lon, x, y, z)
}

func (b *bot) coordsReply(ctx context.Context, c *bots.Ctx, m resolved, lat, lon, x, y, z float64) (*bots.Response, error) {
	e := embed.New().Title(fmt.Sprintf("%s: %.1f / %.1f", m.Name, lat, lon)).
		Description(fmt.Sprintf("**lat/lon** %.2f / %.2f\n**x y z** %.0f %.0f %.0f\n`cheat SetPlayerPos %.0f %.0f %.0f`\n`cheat TPCoords %.1f %.1f %.0f`",
			lat, lon, x, y, z, x, y, z, lat, lon, z))
	if lat < 0 || lat > 100 || lon < 0 || lon > 100 {
		e.Field("Note", "This is outside the map's 0–100 grid.", false)
	}
	src := "built-in table"
	if m.Override {
		src = "this Discord server's coords_overrides"
	}
	e.Footer(fmt.Sprintf("lat = %g + y/%g · lon = %g + x/%g (%s)", m.LatShift, m.LatDiv, m.LonShift, m.LonDiv, src))
	if m.Note != "" {
		e.Field("Coordinates", m.Note, false)
	}
	if s := c.String("server"); s != "" {
		if !b.isStaff(ctx, c) {
			e.Field("Closest base", "Only staff can look up bases.", false)
		} else {
			txt, err := b.closestBases(ctx, c, m.Map, s, x, y)
			if err != nil {
				return nil, err
			}
			e.Field("Closest bases", txt, false)
		}
	}
	return bots.Reply(e.Build()...), nil
}

// distToBox is the horizontal distance from (x, y) to a base's structure
// box (0 inside it): how far the nearest of its structures can be.
func distToBox(bs Base, x, y float64) float64 {
	minX, maxX := math.Min(bs.MinX, bs.MaxX), math.Max(bs.MinX, bs.MaxX)
	minY, maxY := math.Min(bs.MinY, bs.MaxY), math.Max(bs.MinY, bs.MaxY)
	dx := math.Max(0, math.Max(minX-x, x-maxX))
	dy := math.Max(0, math.Max(minY-y, y-maxY))
	return math.Hypot(dx, dy)
}

// ClosestBases sorts bases by the distance from (x, y) to their structure
// box, then to their centre.
func ClosestBases(bases []Base, x, y float64) []Base {
	out := slices.Clone(bases)
	slices.SortStableFunc(out, func(a, b Base) int {
		if c := cmp.Compare(distToBox(a, x, y), distToBox(b, x, y)); c != 0 {
			return c
		}
		return cmp.Compare(math.Hypot(a.X-x, a.Y-y), math.Hypot(b.X-x, b.Y-y))
	})
	return out
}

func (b *bot) closestBases(ctx context.Context, c *bots.Ctx, m maps.Map, serverOpt string, x, y float64) (string, error) {
	if b.World == nil {
		return "Save data is not available.", nil
	}
	s, err := b.guildServer(ctx, c, serverOpt)
	if err != nil {
		return "", err
	}
	mn, err := b.World.ServerMap(ctx, s.ServiceID)
	if err != nil {
		return "", fmt.Errorf("map of %d: %w", s.ServiceID, err)
	}
	switch {
	case mn == "":
		return fmt.Sprintf("%s has no parsed save yet.", bots.SanitizeName(serverLabel(s), 100)), nil
	case mapKey(mn) != m.Key:
		return fmt.Sprintf("%s runs %s, not %s.", bots.SanitizeName(serverLabel(s), 100), mapName(mn), m.Name), nil
	}
	bases, err := b.World.Bases(ctx, s.ServiceID)
	if err != nil {
		return "", fmt.Errorf("bases of %d: %w", s.ServiceID, err)
	}
	if len(bases) == 0 {
		return "No bases in the latest save.", nil
	}
	var sb strings.Builder
	for i, bs := range ClosestBases(bases, x, y) {
		if i == closestShown {
			break
		}
		owner := bots.SanitizeName(bs.OwnerName, 60)
		if owner == "" {
			owner = fmt.Sprintf("tribe %d", bs.Owner)
		}
		d := distToBox(bs, x, y)
		dir := Compass(bs.X-x, bs.Y-y)
		fmt.Fprintf(&sb, "**%s** — %d structures, centre %s", owner, bs.Structures, fmtLatLon(m, bs.X, bs.Y))
		if d == 0 {
			sb.WriteString(", the point is inside it")
		} else {
			fmt.Fprintf(&sb, ", nearest structures about %s %s", fmtFoundations(d), dir)
		}
		if !bs.DecaysAt.IsZero() {
			fmt.Fprintf(&sb, ", decays <t:%d:R>", bs.DecaysAt.Unix())
		}
		sb.WriteByte('\n')
	}
	return sb.String(), nil
}
