package assistant

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// Where a point comes from.
const (
	SourceStaff = "staff list"
	SourceSave  = "save"
	SourceSeed  = "seed"
)

// pagerTeleports is the pager kind of /teleport list.
const pagerTeleports = "tplist"

// nearestShown is how many points /teleport find lists.
const nearestShown = 5

// listPage is how many points one page of /teleport list shows.
const listPage = 15

// maxImport bounds the marks one /teleport import adds.
const maxImport = 100

// candidate is a teleport point a caller may see, with where it came from.
type candidate struct {
	TeleportPoint
	Source string // SourceStaff, SourceSave, SourceSeed
	Server string // the server whose save holds it (SourceSave)
}

// label is the point's name as shown; save teleporters have no name in the
// decoded save, so they are called by their structure and owner.
func (p candidate) label(staff bool, own map[int64]bool) string {
	if p.Name != "" {
		return bots.SanitizeName(p.Name, 100)
	}
	kind := teleporterKind(p.Class)
	switch {
	case staff && p.TribeName != "":
		return kind + " of " + bots.SanitizeName(p.TribeName, 60)
	case staff && p.TribeID != 0:
		return kind + " of tribe " + strconv.FormatInt(p.TribeID, 10)
	case own[p.TribeID]:
		return "Your tribe's " + kind
	}
	return kind
}

// teleporterKind names a teleporter class: "TekTeleporter_C" → "Tek Teleporter".
func teleporterKind(class string) string {
	c := strings.TrimSuffix(strings.TrimSuffix(class, "_C"), "_BP")
	if c == "" {
		return "Teleporter"
	}
	var b strings.Builder
	for i, r := range c {
		switch {
		case r == '_':
			b.WriteByte(' ')
			continue
		case i > 0 && r >= 'A' && r <= 'Z' && c[i-1] >= 'a' && c[i-1] <= 'z':
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return bots.SanitizeName(b.String(), 60)
}

// viewer is who asks: staff see everything, players public points and
// their own tribes' ones.
type viewer struct {
	staff  bool
	tribes map[int64]bool // the caller's tribe on each guild server
}

func (v viewer) sees(p TeleportPoint) bool {
	switch {
	case v.staff:
		return true
	case p.TribeID != 0 && v.tribes[p.TribeID]:
		return true
	}
	return p.Public && p.TribeID == 0
}

// viewerOf works out the caller's tribes on the guild's servers.
func (b *bot) viewerOf(ctx context.Context, c *bots.Ctx) (viewer, error) {
	v := viewer{staff: b.isStaff(ctx, c), tribes: map[int64]bool{}}
	if v.staff || b.World == nil || b.Store == nil || c.GuildID == "" || c.User.ID == "" {
		return v, nil
	}
	srvs, err := b.Store.Servers(ctx, c.GuildID)
	if err != nil {
		return v, fmt.Errorf("servers: %w", err)
	}
	for _, s := range srvs {
		id, ok, err := b.World.TribeOf(ctx, c.GuildID, c.User.ID, s.ServiceID)
		if err != nil {
			return v, fmt.Errorf("tribe of user on %d: %w", s.ServiceID, err)
		}
		if ok {
			v.tribes[id] = true
		}
	}
	return v, nil
}

// points gathers the points of map m the viewer sees: the staff list, the
// teleporters of the latest save of the guild's servers on m (or only
// serverOpt's) and the seed points.
func (b *bot) points(ctx context.Context, c *bots.Ctx, m maps.Map, serverOpt string, v viewer) ([]candidate, error) {
	var out []candidate
	if b.Teleports != nil && c.GuildID != "" {
		ps, err := b.Teleports.TeleportPoints(ctx, c.GuildID, m.Key)
		if err != nil {
			return nil, fmt.Errorf("teleport points: %w", err)
		}
		for _, p := range ps {
			if v.sees(p) {
				out = append(out, candidate{TeleportPoint: p, Source: SourceStaff})
			}
		}
	}
	srvs, err := b.mapServersOpt(ctx, c, m, serverOpt)
	if err != nil {
		return nil, err
	}
	for _, s := range srvs {
		ps, err := b.World.SaveTeleporters(ctx, s.ServiceID)
		if err != nil {
			return nil, fmt.Errorf("save teleporters of %d: %w", s.ServiceID, err)
		}
		for _, p := range ps {
			p.Public = false // a player's teleporter is their tribe's business
			if v.sees(p) {
				out = append(out, candidate{TeleportPoint: p, Source: SourceSave, Server: serverLabel(s)})
			}
		}
	}
	for _, p := range SeedPoints(m) {
		out = append(out, candidate{TeleportPoint: p, Source: SourceSeed})
	}
	return out, nil
}

// Compass names the direction of a move by dx (east +) and dy (south +,
// as Unreal y and latitude grow southwards) on the 8-point rose; "" for no
// move.
func Compass(dx, dy float64) string {
	if math.Hypot(dx, dy) < 1e-9 {
		return ""
	}
	deg := math.Atan2(dx, -dy) * 180 / math.Pi // 0 = north, 90 = east
	if deg < 0 {
		deg += 360
	}
	names := [...]string{"N", "NE", "E", "SE", "S", "SW", "W", "NW"}
	return names[int(math.Round(deg/45))%8]
}

// Foundations is a distance in Unreal units as foundations (300 units).
func Foundations(d float64) float64 { return d / maps.FoundationUnits }

// nearest is a point with its distance to a destination.
type nearest struct {
	candidate
	dist float64 // Unreal units, horizontal
	dir  string  // from the point to the destination
}

// nearestTo sorts pts by horizontal distance to (x, y), nearest first (ties
// by name).
func nearestTo(pts []candidate, x, y float64) []nearest {
	out := make([]nearest, 0, len(pts))
	for _, p := range pts {
		dx, dy := x-p.X, y-p.Y
		out = append(out, nearest{candidate: p, dist: math.Hypot(dx, dy), dir: Compass(dx, dy)})
	}
	slices.SortStableFunc(out, func(a, b nearest) int {
		if c := cmp.Compare(a.dist, b.dist); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

func fmtFoundations(d float64) string {
	f := Foundations(d)
	switch {
	case f < 1:
		return "here (< 1 foundation)"
	case f < 10:
		return fmt.Sprintf("%.1f foundations", f)
	}
	return fmt.Sprintf("%.0f foundations", f)
}

func fmtLatLon(m maps.Map, x, y float64) string {
	lat, lon := m.LatLon(x, y)
	return fmt.Sprintf("%.1f / %.1f", lat, lon)
}

func (b *bot) teleportFind(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	m, err := b.resolveMap(ctx, c.GuildID, c.String("map"))
	if err != nil {
		return nil, err
	}
	lat, lon := number(c, "lat", 50), number(c, "lon", 50)
	x, y := m.UE(lat, lon)
	v, err := b.viewerOf(ctx, c)
	if err != nil {
		return nil, err
	}
	pts, err := b.points(ctx, c, m.Map, c.String("server"), v)
	if err != nil {
		return nil, err
	}
	e := embed.New().Title(fmt.Sprintf("Teleport points nearest to %.1f / %.1f on %s", lat, lon, m.Name))
	if len(pts) == 0 {
		e.Description("No teleport points are known on " + m.Name + " for you. Staff can add some with `/teleport add`.")
		return bots.Reply(e.Embed()), nil
	}
	var sb strings.Builder
	for i, n := range nearestTo(pts, x, y) {
		if i == nearestShown {
			break
		}
		fmt.Fprintf(&sb, "**%d. %s** — %s", i+1, n.label(v.staff, v.tribes), fmtFoundations(n.dist))
		if n.dir != "" && Foundations(n.dist) >= 1 {
			fmt.Fprintf(&sb, " %s of it", n.dir)
		}
		fmt.Fprintf(&sb, "\n   at %s · %s", fmtLatLon(m.Map, n.X, n.Y), sourceText(n.candidate))
		if v.staff && n.Source != SourceSeed {
			fmt.Fprintf(&sb, "\n   `cheat SetPlayerPos %.0f %.0f %.0f`", n.X, n.Y, n.Z)
		}
		sb.WriteByte('\n')
	}
	e.Description(sb.String())
	foot := fmt.Sprintf("1 foundation = %d units · directions lead from the point to %.1f / %.1f", maps.FoundationUnits, lat, lon)
	if !v.staff {
		foot += " · you see public points and your tribe's"
	}
	e.Footer(foot)
	if m.Note != "" {
		e.Field("Coordinates", m.Note, false)
	}
	return bots.Reply(e.Build()...), nil
}

func sourceText(p candidate) string {
	switch p.Source {
	case SourceSave:
		return "teleporter in the save of " + bots.SanitizeName(p.Server, 100)
	case SourceSeed:
		s := "known location"
		if p.Note != "" {
			s += " (" + p.Note + ")"
		}
		return s
	}
	s := "staff list"
	switch {
	case !p.Public && p.TribeID == 0:
		s += ", staff only"
	case p.TribeID != 0:
		s += ", tribe " + strconv.FormatInt(p.TribeID, 10) + " only"
	}
	if p.Note != "" {
		s += " — " + bots.SanitizeChat(p.Note, 200)
	}
	return s
}

func (b *bot) teleportList(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	m, err := b.resolveMap(ctx, c.GuildID, c.String("map"))
	if err != nil {
		return nil, err
	}
	q := m.Key
	if s := c.String("server"); s != "" {
		id, ok := bots.ParseServiceID(s)
		if !ok {
			return nil, bots.Errorf("%q is not a server; pick one from the list.", embedSafe(s))
		}
		q += ":" + strconv.FormatInt(id, 10)
	}
	return c.Page(ctx, pagerTeleports, q, 0)
}

// teleportPage renders /teleport list (query "mapkey[:serviceID]") for
// whoever clicks: visibility is worked out again for them.
func (b *bot) teleportPage(ctx context.Context, c *bots.Ctx, query string, page int) ([]*discordgo.MessageEmbed, int, error) {
	key, server, _ := strings.Cut(query, ":")
	m, err := b.resolveMap(ctx, c.GuildID, key)
	if err != nil {
		return nil, 0, err
	}
	v, err := b.viewerOf(ctx, c)
	if err != nil {
		return nil, 0, err
	}
	pts, err := b.points(ctx, c, m.Map, server, v)
	if err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(pts, func(a, b candidate) int {
		if c := cmp.Compare(sourceOrder(a.Source), sourceOrder(b.Source)); c != 0 {
			return c
		}
		return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	pages := max(1, (len(pts)+listPage-1)/listPage)
	page = min(max(page, 0), pages-1)
	e := embed.New().Title(fmt.Sprintf("Teleport points on %s (%d)", m.Name, len(pts)))
	if len(pts) == 0 {
		e.Description("None known for you. Staff can add some with `/teleport add` or `/teleport import`.")
		return []*discordgo.MessageEmbed{e.Embed()}, 1, nil
	}
	var sb strings.Builder
	for _, p := range pts[page*listPage : min(len(pts), (page+1)*listPage)] {
		fmt.Fprintf(&sb, "• **%s** — %s · %s\n", p.label(v.staff, v.tribes), fmtLatLon(m.Map, p.X, p.Y), sourceText(p))
	}
	e.Description(sb.String())
	if pages > 1 {
		e.Footer(fmt.Sprintf("Page %d of %d", page+1, pages))
	}
	return []*discordgo.MessageEmbed{embed.Clamp(e.Embed())}, pages, nil
}

func sourceOrder(s string) int {
	switch s {
	case SourceStaff:
		return 0
	case SourceSave:
		return 1
	}
	return 2
}

// staffListReady refuses when the staff list is not wired. Who may
// change it is the router's business (SubAccess: add, remove and import
// are Staff subcommands, refused to others before they run).
func (b *bot) staffListReady() error {
	if b.Teleports == nil {
		return bots.Errorf("The teleport list is not available.")
	}
	return nil
}

func (b *bot) teleportAdd(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if err := b.staffListReady(); err != nil {
		return nil, err
	}
	m, err := b.resolveMap(ctx, c.GuildID, c.String("map"))
	if err != nil {
		return nil, err
	}
	name := capBytes(bots.SanitizeName(c.String("name"), 100), 100)
	if name == "" {
		return nil, bots.Errorf("Give the point a name.")
	}
	lat, lon := number(c, "lat", 50), number(c, "lon", 50)
	x, y := m.UE(lat, lon)
	p := TeleportPoint{Map: m.Key, Name: name, X: x, Y: y, Z: number(c, "z", 0), Public: true,
		TribeID: c.Int("tribe_id"), Note: capBytes(bots.SanitizeChat(c.String("note"), 200), 200), CreatedBy: c.User.ID}
	if p.TribeID < 0 {
		return nil, bots.Errorf("A tribe id is positive.")
	}
	if p.TribeID != 0 || c.Bool("staff_only") {
		p.Public = false
	}
	if c.Bool("staff_only") {
		p.TribeID = 0
	}
	created, err := b.Teleports.AddTeleportPoint(ctx, c.GuildID, p)
	detail := fmt.Sprintf("%s %.1f/%.1f z %.0f", m.Key, lat, lon, p.Z)
	if err != nil {
		b.audit(ctx, c, "teleport add", name, detail, err.Error(), false)
		return nil, err
	}
	verb := "added"
	if !created {
		verb = "replaced"
	}
	b.audit(ctx, c, "teleport add", name, detail, verb, true)
	return bots.Reply(embed.New().Color(embed.ColorSuccess).Title("Teleport point " + verb).
		Description(fmt.Sprintf("**%s** on %s at %.1f / %.1f (x %.0f, y %.0f, z %.0f) · %s", name, m.Name, lat, lon, x, y, p.Z,
			sourceText(candidate{TeleportPoint: p, Source: SourceStaff}))).Embed()), nil
}

func (b *bot) teleportRemove(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if err := b.staffListReady(); err != nil {
		return nil, err
	}
	m, err := b.resolveMap(ctx, c.GuildID, c.String("map"))
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(c.String("name"))
	ok, err := b.Teleports.RemoveTeleportPoint(ctx, c.GuildID, m.Key, name)
	if err != nil {
		b.audit(ctx, c, "teleport remove", name, m.Key, err.Error(), false)
		return nil, err
	}
	if !ok {
		return nil, bots.Errorf("There is no point called %q on %s.", embedSafe(name), m.Name)
	}
	b.audit(ctx, c, "teleport remove", name, m.Key, "removed", true)
	return bots.Reply(embed.Success("Teleport point removed", fmt.Sprintf("**%s** is no longer on the %s list.", bots.SanitizeName(name, 100), m.Name))), nil
}

func (b *bot) teleportImport(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if err := b.staffListReady(); err != nil {
		return nil, err
	}
	m, err := b.resolveMap(ctx, c.GuildID, c.String("map"))
	if err != nil {
		return nil, err
	}
	marks, skipped := ParseMinimapMarks(c.String("marks"))
	var added, replaced, otherMap int
	for _, mk := range marks {
		if mk.MapName != "" && mapKey(mk.MapName) != m.Key {
			otherMap++
			continue
		}
		if added+replaced == maxImport {
			skipped++
			continue
		}
		name := capBytes(bots.SanitizeName(mk.Name, 100), 100)
		if name == "" {
			skipped++
			continue
		}
		created, err := b.Teleports.AddTeleportPoint(ctx, c.GuildID, TeleportPoint{Map: m.Key, Name: name, X: mk.X, Y: mk.Y, Z: mk.Z,
			Public: true, Note: "imported", CreatedBy: c.User.ID})
		if err != nil {
			b.audit(ctx, c, "teleport import", m.Key, fmt.Sprintf("%d marks", len(marks)), err.Error(), false)
			return nil, err
		}
		if created {
			added++
		} else {
			replaced++
		}
	}
	result := fmt.Sprintf("%d added, %d replaced, %d on another map, %d unreadable", added, replaced, otherMap, skipped)
	if added+replaced == 0 {
		return nil, bots.Errorf("No marks of %s found (%s). Paste lines like SavedMinimapMarks=(Name=\"Cave\",Location=(X=1.0,Y=2.0,Z=3.0),MapName=\"%s\").", m.Name, result, m.File)
	}
	b.audit(ctx, c, "teleport import", m.Key, fmt.Sprintf("%d marks", len(marks)), result, true)
	return bots.Reply(embed.Success("Marks imported", fmt.Sprintf("%s: %s.", m.Name, result))), nil
}

// capBytes trims s and cuts it to at most n bytes on a rune boundary (the
// store limits names and notes in bytes).
func capBytes(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := 0
	for i, r := range s {
		if i+utf8.RuneLen(r) > n {
			break
		}
		cut = i + utf8.RuneLen(r)
	}
	return strings.TrimSpace(s[:cut])
}

// teleportNames offers the staff list's names of the chosen map
// (/teleport remove; a Staff subcommand, so the router never asks on
// behalf of others).
func (b *bot) teleportNames(ctx context.Context, c *bots.Ctx, typed string) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	if b.Teleports == nil || c.GuildID == "" {
		return nil, nil
	}
	m, err := b.resolveMap(ctx, c.GuildID, c.String("map"))
	if err != nil {
		return nil, nil // no map chosen yet
	}
	ps, err := b.Teleports.TeleportPoints(ctx, c.GuildID, m.Key)
	if err != nil {
		return nil, err
	}
	typed = strings.ToLower(strings.TrimSpace(typed))
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, p := range ps {
		if typed != "" && !strings.Contains(strings.ToLower(p.Name), typed) {
			continue
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: p.Name, Value: p.Name})
		if len(out) == 25 {
			break
		}
	}
	return out, nil
}
