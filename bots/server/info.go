package server

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/arksave/species"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// Pager queries pack the filters into the custom_id, separated by '|'
// (stripped from user text), so a page survives a restart.
const sep = "|"

func clean(s string, n int) string {
	s = strings.ReplaceAll(bots.SanitizeName(s, n), sep, " ")
	return strings.TrimSpace(strings.ReplaceAll(s, ":", " "))
}

func packQuery(parts ...string) string { return strings.Join(parts, sep) }

func unpackQuery(q string, n int) []string {
	parts := strings.SplitN(q, sep, n)
	for len(parts) < n {
		parts = append(parts, "")
	}
	return parts
}

var errNoInfo = &bots.UserError{Msg: "Save data is not available on this appliance."}

// scope is the guild's servers an /info view reads, with their names.
type scope struct {
	servers []bots.GameServer
	names   map[int64]string
	ids     []int64
}

func (b *bot) scope(ctx context.Context, guildID, target string) (scope, string, error) {
	if b.Info == nil {
		return scope{}, "", errNoInfo
	}
	ss, where, err := b.resolve(ctx, guildID, target, targetAll)
	if err != nil {
		return scope{}, "", err
	}
	sc := scope{servers: ss, names: map[int64]string{}, ids: ids(ss)}
	for _, s := range ss {
		sc.names[s.ServiceID] = serverName(s)
	}
	return sc, where, nil
}

func (sc scope) name(id int64) string {
	if n, ok := sc.names[id]; ok {
		return n
	}
	return strconv.FormatInt(id, 10)
}

// snapshotNote is the "save of <t:…:R>" line and the footer text.
func (b *bot) snapshotNote(ctx context.Context, sc scope) (line, footer string) {
	ts, err := b.Info.SnapshotTimes(ctx, sc.ids)
	if err != nil || len(ts) == 0 {
		return "No save parsed yet.", "no snapshot yet"
	}
	newest, oldest := ts[0].At, ts[0].At
	for _, t := range ts {
		if t.At.After(newest) {
			newest = t.At
		}
		if t.At.Before(oldest) {
			oldest = t.At
		}
	}
	line = "Save of <t:" + strconv.FormatInt(newest.Unix(), 10) + ":R>"
	footer = "save of " + newest.UTC().Format("2006-01-02 15:04 UTC")
	if newest.Sub(oldest) > time.Minute {
		line = fmt.Sprintf("Saves of <t:%d:R> to <t:%d:R>", oldest.Unix(), newest.Unix())
		footer = "saves " + oldest.UTC().Format("2006-01-02 15:04") + " – " + newest.UTC().Format("2006-01-02 15:04 UTC")
	}
	if len(ts) < len(sc.ids) {
		line += fmt.Sprintf(" (%d of %d servers parsed)", len(ts), len(sc.ids))
	}
	return line, footer
}

func pages(total int) int { return max(1, (total+pageSize-1)/pageSize) }

// listPage renders a page of a list view.
func (b *bot) listPage(ctx context.Context, sc scope, title string, lines []string, total, page int, empty string) []*discordgo.MessageEmbed {
	note, footer := b.snapshotNote(ctx, sc)
	desc := note + "\n\n" + strings.Join(lines, "\n")
	if len(lines) == 0 {
		desc = note + "\n\n" + empty
	}
	return []*discordgo.MessageEmbed{embed.New().Title(title).Description(desc).
		Footer(fmt.Sprintf("Page %d of %d · %d results · %s", min(page, pages(total)-1)+1, pages(total), total, footer)).Embed()}
}

func loc(lat, lon float64, ok bool) string {
	if !ok {
		return "unknown"
	}
	return fmt.Sprintf("%.1f / %.1f", lat, lon)
}

func rel(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return "<t:" + strconv.FormatInt(t.Unix(), 10) + ":R>"
}

// lastPage re-runs a query for the last page when page is past the end.
func lastPage(total, page int) (int, bool) {
	last := pages(total) - 1
	return last, page > last
}

// ---- players ----

func (b *bot) infoPlayers(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return c.Page(ctx, pgPlayers, clean(c.String(optSearch), 40), 0)
}

func (b *bot) pagePlayers(ctx context.Context, c *bots.Ctx, query string, page int) ([]*discordgo.MessageEmbed, int, error) {
	sc, _, err := b.scope(ctx, c.GuildID, targetAll)
	if err != nil {
		return nil, 0, err
	}
	ps, total, err := b.Info.Players(ctx, sc.ids, query, pageSize, page*pageSize)
	if err != nil {
		return nil, 0, fmt.Errorf("info players: %w", err)
	}
	if last, past := lastPage(total, page); past && total > 0 {
		page = last
		if ps, total, err = b.Info.Players(ctx, sc.ids, query, pageSize, page*pageSize); err != nil {
			return nil, 0, fmt.Errorf("info players: %w", err)
		}
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, fmt.Sprintf("**%s** · lvl %d · %s · %s · seen %s", bots.SanitizeName(orUnknown(p.Character), 40),
			p.Level, tribeOf(p.Tribe), sc.name(p.ServerID), rel(p.LastSeen)))
	}
	title := "Players"
	if query != "" {
		title += " matching “" + query + "”"
	}
	return b.listPage(ctx, sc, title, lines, total, page, "No players found."), pages(total), nil
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(unnamed)"
	}
	return s
}

func tribeOf(s string) string {
	if n := bots.SanitizeName(s, 40); n != "" {
		return n
	}
	return "no tribe"
}

func (b *bot) infoPlayer(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	sc, _, err := b.scope(ctx, c.GuildID, targetAll)
	if err != nil {
		return nil, err
	}
	name := clean(c.String(optName), 40)
	ps, err := b.Info.FindPlayers(ctx, sc.ids, name, 5)
	if err != nil {
		return nil, fmt.Errorf("info player: %w", err)
	}
	if len(ps) == 0 {
		return nil, bots.Errorf("No player %q in the saves.", name)
	}
	staff := b.isStaff(ctx, c)
	note, footer := b.snapshotNote(ctx, sc)
	var out []*discordgo.MessageEmbed
	for _, p := range ps[:min(len(ps), 3)] {
		e := embed.New().Title(bots.SanitizeName(orUnknown(p.Character), 40)).Description(note).
			Field("Platform name", orDash(bots.SanitizeName(p.Platform, 40)), true).
			Field("Level", strconv.Itoa(p.Level), true).
			Field("Tribe", tribeOf(p.Tribe), true).
			Field("Server", sc.name(p.ServerID), true).
			Field("Last seen", rel(p.LastSeen), true).
			Field("Location (lat/lon)", loc(p.Lat, p.Lon, p.HasLoc), true).Footer(footer)
		if staff && p.EOSID != "" {
			e.Field("EOS id", "`"+p.EOSID+"`", false)
		}
		out = append(out, e.Embed())
	}
	return &bots.Response{Embeds: out, Ephemeral: staff}, nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// ---- tribes ----

func (b *bot) infoTribes(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return c.Page(ctx, pgTribes, clean(c.String(optSearch), 40), 0)
}

func (b *bot) pageTribes(ctx context.Context, c *bots.Ctx, query string, page int) ([]*discordgo.MessageEmbed, int, error) {
	sc, _, err := b.scope(ctx, c.GuildID, targetAll)
	if err != nil {
		return nil, 0, err
	}
	ts, total, err := b.Info.Tribes(ctx, sc.ids, query, pageSize, page*pageSize)
	if err != nil {
		return nil, 0, fmt.Errorf("info tribes: %w", err)
	}
	if last, past := lastPage(total, page); past && total > 0 {
		page = last
		if ts, total, err = b.Info.Tribes(ctx, sc.ids, query, pageSize, page*pageSize); err != nil {
			return nil, 0, fmt.Errorf("info tribes: %w", err)
		}
	}
	var lines []string
	for _, t := range ts {
		lines = append(lines, fmt.Sprintf("**%s** · %d members · %d dinos · %d structures · %s",
			tribeOf(t.Name), len(t.Members), t.Dinos, t.Structures, sc.name(t.ServerID)))
	}
	title := "Tribes"
	if query != "" {
		title += " matching “" + query + "”"
	}
	return b.listPage(ctx, sc, title, lines, total, page, "No tribes found."), pages(total), nil
}

func (b *bot) infoTribe(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	sc, _, err := b.scope(ctx, c.GuildID, targetAll)
	if err != nil {
		return nil, err
	}
	name := clean(c.String(optTribe), 40)
	ts, err := b.Info.FindTribes(ctx, sc.ids, name, 1)
	if err != nil {
		return nil, fmt.Errorf("info tribe: %w", err)
	}
	if len(ts) == 0 {
		return nil, bots.Errorf("No tribe %q in the saves.", name)
	}
	t := ts[0]
	ref := TribeRef{ServerID: t.ServerID, TribeID: t.ID}
	staff := b.isStaff(ctx, c)
	note, footer := b.snapshotNote(ctx, sc)
	var members []string
	for _, m := range t.Members {
		members = append(members, bots.SanitizeName(m, 32))
	}
	e := embed.New().Title(tribeOf(t.Name)+" — "+sc.name(t.ServerID)).Description(note).
		Field(fmt.Sprintf("Members (%d)", len(t.Members)), embed.Truncate(orDash(strings.Join(members, ", ")), 1000), false)
	species, err := b.Info.TribeSpecies(ctx, ref, 15)
	if err != nil {
		return nil, fmt.Errorf("info tribe: %w", err)
	}
	var sp []string
	for _, s := range species {
		sp = append(sp, fmt.Sprintf("%s ×%d", speciesName(s.Class), s.Count))
	}
	e.Field(fmt.Sprintf("Tamed dinos (%d)", t.Dinos), orDash(strings.Join(sp, ", ")), false)
	bs, total, err := b.Info.Bases(ctx, sc.ids, BaseQuery{Tribes: []TribeRef{ref}, OrderByDecay: true, Limit: 8})
	if err != nil {
		return nil, fmt.Errorf("info tribe: %w", err)
	}
	var bl []string
	for _, x := range bs {
		bl = append(bl, baseLine(x, sc, false, staff))
	}
	e.Field(fmt.Sprintf("Bases (%d) · %d structures", total, t.Structures), embed.Truncate(orDash(strings.Join(bl, "\n")), 1000), false)
	return &bots.Response{Embeds: []*discordgo.MessageEmbed{e.Footer(footer).Embed()}, Ephemeral: staff}, nil
}

// speciesName is the species players know a blueprint class by
// ("Argent_Character_BP_C" → "Argentavis"), capped for an embed line.
func speciesName(class string) string {
	return bots.SanitizeName(species.Name(class), 40)
}

// baseLine renders a base; decay times only for staff (in PvP they tell
// raiders when a base is open).
func baseLine(x Base, sc scope, withTribe, withDecay bool) string {
	var b strings.Builder
	if withTribe {
		b.WriteString("**" + tribeOf(x.OwnerName) + "** · ")
	}
	fmt.Fprintf(&b, "%d structures", x.Structures)
	if x.Tier != "" {
		b.WriteString(" · " + bots.SanitizeName(x.Tier, 20))
	}
	b.WriteString(" · " + loc(x.Lat, x.Lon, x.HasLoc) + " · " + sc.name(x.ServerID))
	if withDecay && !x.DecaysAt.IsZero() {
		b.WriteString(" · decays " + rel(x.DecaysAt))
	}
	return b.String()
}

// ---- dinos ----

func (b *bot) infoDinos(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	q := packQuery(clean(c.String(optSpecies), 30), clean(c.String(optTribe), 30), strconv.FormatInt(max(c.Int(optLevel), 0), 10))
	return c.Page(ctx, pgDinos, q, 0)
}

// tribeRefs resolves a tribe filter (nil: no filter).
func (b *bot) tribeRefs(ctx context.Context, sc scope, tribe string) ([]TribeRef, error) {
	if tribe == "" {
		return nil, nil
	}
	ts, err := b.Info.FindTribes(ctx, sc.ids, tribe, 400)
	if err != nil {
		return nil, err
	}
	refs := make([]TribeRef, 0, len(ts))
	for _, t := range ts {
		refs = append(refs, TribeRef{ServerID: t.ServerID, TribeID: t.ID})
	}
	return refs, nil
}

func (b *bot) pageDinos(ctx context.Context, c *bots.Ctx, query string, page int) ([]*discordgo.MessageEmbed, int, error) {
	parts := unpackQuery(query, 3)
	minLevel, _ := strconv.Atoi(parts[2])
	sc, _, err := b.scope(ctx, c.GuildID, targetAll)
	if err != nil {
		return nil, 0, err
	}
	refs, err := b.tribeRefs(ctx, sc, parts[1])
	if err != nil {
		return nil, 0, fmt.Errorf("info dinos: %w", err)
	}
	dq := DinoQuery{Class: parts[0], Tribes: refs, MinLevel: max(minLevel, 0), Limit: pageSize, Offset: page * pageSize}
	ds, total, err := b.Info.Dinos(ctx, sc.ids, dq)
	if err != nil {
		return nil, 0, fmt.Errorf("info dinos: %w", err)
	}
	if last, past := lastPage(total, page); past && total > 0 {
		page, dq.Offset = last, last*pageSize
		if ds, total, err = b.Info.Dinos(ctx, sc.ids, dq); err != nil {
			return nil, 0, fmt.Errorf("info dinos: %w", err)
		}
	}
	var lines []string
	for _, d := range ds {
		sex := "♂"
		if d.Female {
			sex = "♀"
		}
		where := loc(d.Lat, d.Lon, d.HasLoc)
		if d.Cryo {
			where = "cryopod"
		}
		lines = append(lines, fmt.Sprintf("**%s** %s lvl %d · %s · %s · %s · %s", speciesName(d.Class), sex, d.Level,
			orDash(bots.SanitizeName(d.Name, 30)), tribeOf(d.Tribe), where, sc.name(d.ServerID)))
	}
	var f []string
	if parts[0] != "" {
		f = append(f, "species “"+parts[0]+"”")
	}
	if parts[1] != "" {
		f = append(f, "tribe “"+parts[1]+"”")
	}
	if minLevel > 0 {
		f = append(f, fmt.Sprintf("level ≥ %d", minLevel))
	}
	title := "Tamed dinos"
	if len(f) > 0 {
		title += " · " + strings.Join(f, ", ")
	}
	return b.listPage(ctx, sc, title, lines, total, page, "No dinos found."), pages(total), nil
}

// ---- bases, decay, structures ----

// staffOnly makes a page ephemeral for staff, who see decay times.
func (b *bot) staffOnly(ctx context.Context, c *bots.Ctx, resp *bots.Response, err error) (*bots.Response, error) {
	if resp != nil && b.isStaff(ctx, c) {
		resp.Ephemeral = true
	}
	return resp, err
}

func (b *bot) infoBases(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	target, tribe := clean(c.String(optServer), 40), clean(c.String(optTribe), 30)
	resp, err := c.Page(ctx, pgBases, packQuery(target, tribe), 0)
	if err == nil {
		b.attachBaseMaps(ctx, c, resp, target, tribe, false)
	}
	return resp, err
}

// basesPage renders a page of bases; decay times only when withDecay (the
// staff-only /info decay, whose replies are always ephemeral).
func (b *bot) basesPage(ctx context.Context, c *bots.Ctx, title, target string, q BaseQuery, tribe string, page int, empty string,
	withDecay bool) ([]*discordgo.MessageEmbed, int, error) {
	sc, where, err := b.scope(ctx, c.GuildID, target)
	if err != nil {
		return nil, 0, err
	}
	if q.Tribes, err = b.tribeRefs(ctx, sc, tribe); err != nil {
		return nil, 0, fmt.Errorf("info bases: %w", err)
	}
	q.Limit, q.Offset = pageSize, page*pageSize
	bs, total, err := b.Info.Bases(ctx, sc.ids, q)
	if err != nil {
		return nil, 0, fmt.Errorf("info bases: %w", err)
	}
	if last, past := lastPage(total, page); past && total > 0 {
		page, q.Offset = last, last*pageSize
		if bs, total, err = b.Info.Bases(ctx, sc.ids, q); err != nil {
			return nil, 0, fmt.Errorf("info bases: %w", err)
		}
	}
	var lines []string
	for _, x := range bs {
		lines = append(lines, baseLine(x, sc, true, withDecay))
	}
	title += " — " + where
	if tribe != "" {
		title += " · tribe “" + tribe + "”"
	}
	return b.listPage(ctx, sc, title, lines, total, page, empty), pages(total), nil
}

func (b *bot) pageBases(ctx context.Context, c *bots.Ctx, query string, page int) ([]*discordgo.MessageEmbed, int, error) {
	parts := unpackQuery(query, 2)
	// No decay times here, not even for staff: /info bases is an Everyone
	// command, and a reply that has to be deferred (the base maps take a
	// moment) is public. Staff read decay times in /info decay.
	return b.basesPage(ctx, c, "Bases", parts[0], BaseQuery{}, parts[1], page, "No bases found.", false)
}

// defaultDecayWithin is the /info decay window when none is given.
const defaultDecayWithin = 72

// infoDecay is staff-only (SubAccess: the router refuses others).
func (b *bot) infoDecay(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	hours := c.Int(optWithin)
	if hours <= 0 {
		hours = defaultDecayWithin
	}
	target := clean(c.String(optServer), 40)
	resp, err := c.Page(ctx, pgDecay, packQuery(target, strconv.FormatInt(hours, 10)), 0)
	if resp != nil {
		resp.Ephemeral = true
		b.attachBaseMaps(ctx, c, resp, target, "", true)
	}
	return resp, err
}

func (b *bot) pageDecay(ctx context.Context, c *bots.Ctx, query string, page int) ([]*discordgo.MessageEmbed, int, error) {
	parts := unpackQuery(query, 2)
	hours, _ := strconv.Atoi(parts[1])
	if hours <= 0 || hours > 720 {
		hours = defaultDecayWithin
	}
	q := BaseQuery{OrderByDecay: true, DecaysBefore: b.Now().Add(time.Duration(hours) * time.Hour)}
	return b.basesPage(ctx, c, fmt.Sprintf("Decaying within %d h", hours), parts[0], q, "", page, "No base decays in that window.", true)
}

func (b *bot) infoStructures(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	resp, err := c.Page(ctx, pgStructures, clean(c.String(optTribe), 40), 0)
	return b.staffOnly(ctx, c, resp, err)
}

func (b *bot) pageStructures(ctx context.Context, c *bots.Ctx, query string, page int) ([]*discordgo.MessageEmbed, int, error) {
	sc, _, err := b.scope(ctx, c.GuildID, targetAll)
	if err != nil {
		return nil, 0, err
	}
	ts, err := b.Info.FindTribes(ctx, sc.ids, query, 1)
	if err != nil {
		return nil, 0, fmt.Errorf("info structures: %w", err)
	}
	if len(ts) == 0 {
		return nil, 0, bots.Errorf("No tribe %q in the saves.", query)
	}
	t := ts[0]
	ref := TribeRef{ServerID: t.ServerID, TribeID: t.ID}
	// Totals by material over all the tribe's bases (bases per tribe are few).
	all, total, err := b.Info.Bases(ctx, sc.ids, BaseQuery{Tribes: []TribeRef{ref}, Limit: 500})
	if err != nil {
		return nil, 0, fmt.Errorf("info structures: %w", err)
	}
	mats := map[string]int{}
	sum := 0
	for _, x := range all {
		sum += x.Structures
		for m, n := range x.ByMaterial {
			mats[m] += n
		}
	}
	var ml []string
	for m, n := range mats {
		ml = append(ml, fmt.Sprintf("%s %d", bots.SanitizeName(m, 20), n))
	}
	sort.Strings(ml)
	page = min(page, pages(total)-1)
	var lines []string
	staff := b.isStaff(ctx, c)
	for _, x := range pageSlice(all, page) {
		lines = append(lines, baseLine(x, sc, false, staff))
	}
	es := b.listPage(ctx, sc, "Structures of "+tribeOf(t.Name)+" — "+sc.name(t.ServerID), lines, total, page, "No bases.")
	es[0].Fields = append(es[0].Fields,
		&discordgo.MessageEmbedField{Name: "Total", Value: fmt.Sprintf("%d structures in %d bases (tribe total %d)", sum, total, t.Structures)},
		&discordgo.MessageEmbedField{Name: "By material", Value: embed.Truncate(orDash(strings.Join(ml, " · ")), 1000)})
	return es, pages(total), nil
}

func pageSlice[T any](all []T, page int) []T {
	lo := page * pageSize
	if lo >= len(all) {
		return nil
	}
	return all[lo:min(lo+pageSize, len(all))]
}
