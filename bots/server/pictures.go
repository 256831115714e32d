package server

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/picture"
)

// Pictures attached to replies and posts: the base map of /info bases and
// of the decay post, the charts of /server stats and /info online. They are
// rendered in-process by bots/picture.

// maxMaps bounds the base maps one reply attaches (one per server).
const maxMaps = 4

const pngType = "image/png"

// maxLabelled is how many of the largest bases carry a tribe name into the
// renderer (it labels the biggest that do not overlap).
const maxLabelled = 64

// mapFile is the attachment name of a server's base map.
func mapFile(serverID int64) string { return "bases-" + strconv.FormatInt(serverID, 10) + ".png" }

// baseMapOptions say what a base map shows.
type baseMapOptions struct {
	tribes    []TribeRef // nil: every owner
	decay     bool       // colour by time to decay (staff); otherwise grey dots
	private   bool       // also tribe teleporters and tribe-only points (staff)
	guildID   string
	titleNote string
	// backgrounds draws the guild's picture of the server's map under the
	// grid (nil: a bare grid).
	backgrounds *Backgrounds
}

// renderBaseMap draws one server's bases; ok false when it has none with a
// location.
func renderBaseMap(ctx context.Context, maps MapStore, serverID int64, name string, o baseMapOptions, now time.Time) (*discordgo.File, bool, error) {
	bs, err := maps.MapBases(ctx, serverID, o.tribes)
	if err != nil {
		return nil, false, fmt.Errorf("base map: %w", err)
	}
	if len(bs) == 0 {
		return nil, false, nil
	}
	in := picture.BaseMap{Bases: make([]picture.Base, 0, len(bs))}
	structures := 0
	for i, x := range bs {
		structures += x.Structures
		pb := picture.Base{Lat: x.Lat, Lon: x.Lon, Structures: x.Structures}
		if i < maxLabelled {
			// Only the largest bases get a label (MapBases returns them
			// first), so only those names are sanitised.
			pb.Label = bots.SanitizeName(x.OwnerName, 24)
		}
		if o.decay && !x.DecaysAt.IsZero() {
			pb.DecayIn, pb.DecayKnown = x.DecaysAt.Sub(now), true
		}
		in.Bases = append(in.Bases, pb)
	}
	if tps, err := maps.Teleports(ctx, o.guildID, serverID); err == nil {
		for _, p := range tps {
			if p.Public || o.private {
				in.Teleports = append(in.Teleports, picture.Point{Lat: p.Lat, Lon: p.Lon, Name: bots.SanitizeName(p.Name, 24)})
			}
		}
	}
	mapName := ""
	if m, err := maps.MapName(ctx, serverID); err == nil && m != "" {
		mapName = " (" + bots.SanitizeName(strings.TrimSuffix(m, "_WP"), 30) + ")"
		// A background that cannot be read leaves the bare grid.
		if bg, err := o.backgrounds.Image(ctx, o.guildID, m); err == nil && bg != nil {
			in.Background = bg
		}
	}
	in.Title = fmt.Sprintf("%s%s - %d bases, %d structures%s", name, mapName, len(bs), structures, o.titleNote)
	png, err := picture.RenderBaseMap(in)
	if err != nil {
		return nil, false, fmt.Errorf("base map: %w", err)
	}
	return &discordgo.File{Name: mapFile(serverID), ContentType: pngType, Reader: bytes.NewReader(png)}, true, nil
}

// baseMaps renders the maps of the scope's servers (at most maxMaps).
func (b *bot) baseMaps(ctx context.Context, sc scope, o baseMapOptions) ([]*discordgo.File, error) {
	maps, ok := b.Info.(MapStore)
	if !ok || maps == nil {
		return nil, nil
	}
	now := b.Now()
	var files []*discordgo.File
	for _, s := range sc.servers {
		if len(files) == maxMaps {
			break
		}
		f, ok, err := renderBaseMap(ctx, maps, s.ServiceID, serverName(s), o, now)
		if err != nil {
			return files, err
		}
		if ok {
			files = append(files, f)
		}
	}
	return files, nil
}

// attachBaseMaps adds base maps to a reply. decay colours the dots by time
// to decay and adds tribe teleporters: only for /info decay, a staff-only
// view. /info bases is an Everyone command whose slow-path deferral is
// public, so its maps never show decay, whoever asks. A failed picture is
// logged and leaves the list reply as it is.
func (b *bot) attachBaseMaps(ctx context.Context, c *bots.Ctx, resp *bots.Response, target, tribe string, decay bool) {
	if resp == nil || (c.Has(optMap) && !c.Bool(optMap)) {
		return
	}
	sc, _, err := b.scope(ctx, c.GuildID, target)
	if err != nil {
		return
	}
	o := baseMapOptions{guildID: c.GuildID, decay: decay, private: decay, backgrounds: b.Backgrounds}
	if decay {
		o.titleNote = " - red decays first"
	}
	if tribe != "" {
		if o.tribes, err = b.tribeRefs(ctx, sc, tribe); err != nil {
			return
		}
		o.titleNote += " - tribe " + tribe
	}
	files, err := b.baseMaps(ctx, sc, o)
	if err != nil && c.Log != nil {
		c.Log.Warn("base map failed", "err", err)
	}
	resp.Files = append(resp.Files, files...)
}

// ---- charts ----

func samples(ss []nitrado.Sample) []picture.Sample {
	out := make([]picture.Sample, 0, len(ss))
	for _, s := range ss {
		if s.Valid {
			out = append(out, picture.Sample{T: s.Time, V: s.Value})
		}
	}
	return out
}

// statsChart draws players, CPU and memory of a server's Nitrado stats.
func statsChart(name string, st *nitrado.Stats, hours int) (*discordgo.File, error) {
	title := fmt.Sprintf("%s - last %d h", name, hours)
	panels := append([]picture.Chart{picture.PlayersOnline(title+" - players", samples(st.CurrentPlayers), nil)},
		picture.Resources(title, samples(st.CPUUsage), samples(st.MemoryUsage), nil)...)
	png, err := picture.RenderCharts(picture.ChartSize{Width: 900, Height: 260}, panels...)
	if err != nil {
		return nil, fmt.Errorf("stats chart: %w", err)
	}
	return &discordgo.File{Name: "stats.png", ContentType: pngType, Reader: bytes.NewReader(png)}, nil
}

// sessionEnd is when a session stopped counting for the online views: its
// leave, or now while it is open (the live feed closes the open sessions of
// a server it loses track of).
func sessionEnd(s Session, now time.Time) time.Time {
	if !s.Left.IsZero() {
		return s.Left
	}
	return now
}

// playedUntil is the end of a session for playtime: an open one counts up
// to its last sighting, as storage's Playtime does, so a crashed appliance
// never inflates it.
func playedUntil(s Session) time.Time {
	if !s.Left.IsZero() {
		return s.Left
	}
	return s.Seen
}

// onlineSeries turns sessions into step series of players online over
// [from, to): one per server (up to 5), or one total line for more.
func onlineSeries(ss []Session, sc scope, from, to time.Time) []picture.Series {
	type ev struct {
		t time.Time
		d int
	}
	byServer := map[int64][]ev{}
	perServer := len(sc.ids) <= 5
	for _, s := range ss {
		start, end := s.Joined, sessionEnd(s, to)
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		if !end.After(start) {
			continue
		}
		k := int64(0)
		if perServer {
			k = s.ServerID
		}
		byServer[k] = append(byServer[k], ev{start, 1}, ev{end, -1})
	}
	keys := make([]int64, 0, len(byServer))
	if perServer {
		keys = append(keys, sc.ids...)
	} else {
		keys = append(keys, 0)
	}
	var out []picture.Series
	for _, k := range keys {
		evs := byServer[k]
		sort.Slice(evs, func(i, j int) bool {
			if !evs[i].t.Equal(evs[j].t) {
				return evs[i].t.Before(evs[j].t)
			}
			return evs[i].d < evs[j].d
		})
		n := 0
		pts := []picture.Sample{{T: from, V: 0}}
		for _, e := range evs {
			n += e.d
			if len(pts) > 0 && pts[len(pts)-1].T.Equal(e.t) {
				pts[len(pts)-1].V = float64(n)
				continue
			}
			pts = append(pts, picture.Sample{T: e.t, V: float64(n)})
		}
		pts = append(pts, picture.Sample{T: to, V: float64(n)})
		name := "all servers"
		if k != 0 {
			name = sc.name(k)
		}
		out = append(out, picture.Series{Name: name, Samples: pts, Step: true})
	}
	return out
}

// onlineChart draws players online over the last hours from play sessions.
func onlineChart(title string, ss []Session, sc scope, from, to time.Time) (*discordgo.File, error) {
	ch := picture.Chart{Title: title, Series: onlineSeries(ss, sc, from, to)}
	png, err := picture.RenderCharts(picture.ChartSize{Width: 900, Height: 320}, ch)
	if err != nil {
		return nil, fmt.Errorf("online chart: %w", err)
	}
	return &discordgo.File{Name: "online.png", ContentType: pngType, Reader: bytes.NewReader(png)}, nil
}
