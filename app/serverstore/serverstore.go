// Package serverstore adapts storage (SQLite, and the bbolt state file for
// countdowns) to the Server bot (bots/server), the
// shared auditor (bots.AuditStore) and the countdown runner
// (jobs/countdown). It is the one set of adapters, used by app's wiring and
// by the bot's end-to-end tests and benchmarks.
package serverstore

import (
	"context"
	"errors"
	"time"

	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/server"
	"github.com/blissark/bliss/jobs/countdown"
	"github.com/blissark/bliss/storage"
)

// Info implements server.InfoStore over the snapshot tables.
type Info struct{ DB *storage.DB }

var (
	_ server.InfoStore    = Info{}
	_ server.MapStore     = Info{}
	_ server.SessionStore = Info{}
)

func player(p storage.PlayerRow) server.Player {
	out := server.Player{ServerID: p.ServerID, EOSID: p.EOSID, Platform: p.PlatformName, Character: p.CharacterName,
		Level: p.Level, TribeID: p.TribeID, Tribe: p.TribeName, LastSeen: p.LastLogin}
	if p.Location != nil && p.Location.HasLatLon {
		out.Lat, out.Lon, out.HasLoc = p.Location.Lat, p.Location.Lon, true
	}
	return out
}

func players(ps []storage.PlayerRow) []server.Player {
	out := make([]server.Player, len(ps))
	for i, p := range ps {
		out[i] = player(p)
	}
	return out
}

func tribes(ts []storage.TribeRow) []server.Tribe {
	out := make([]server.Tribe, len(ts))
	for i, t := range ts {
		out[i] = server.Tribe{ServerID: t.ServerID, ID: t.ID, Name: t.Name, Members: t.Members, Dinos: t.TamedDinos, Structures: t.Structures}
	}
	return out
}

func refs(rs []server.TribeRef) []storage.TribeRef {
	if rs == nil {
		return nil
	}
	out := make([]storage.TribeRef, len(rs))
	for i, r := range rs {
		out[i] = storage.TribeRef{ServerID: r.ServerID, TribeID: r.TribeID}
	}
	return out
}

// Players implements server.InfoStore.
func (s Info) Players(ctx context.Context, servers []int64, search string, limit, offset int) ([]server.Player, int, error) {
	ps, n, err := s.DB.InfoPlayers(ctx, servers, search, limit, offset)
	return players(ps), n, err
}

// FindPlayers implements server.InfoStore.
func (s Info) FindPlayers(ctx context.Context, servers []int64, name string, limit int) ([]server.Player, error) {
	ps, err := s.DB.FindPlayers(ctx, servers, name, limit)
	return players(ps), err
}

// Tribes implements server.InfoStore.
func (s Info) Tribes(ctx context.Context, servers []int64, search string, limit, offset int) ([]server.Tribe, int, error) {
	ts, n, err := s.DB.InfoTribes(ctx, servers, search, limit, offset)
	return tribes(ts), n, err
}

// FindTribes implements server.InfoStore.
func (s Info) FindTribes(ctx context.Context, servers []int64, name string, limit int) ([]server.Tribe, error) {
	ts, err := s.DB.FindTribes(ctx, servers, name, limit)
	return tribes(ts), err
}

// TribeSpecies implements server.InfoStore.
func (s Info) TribeSpecies(ctx context.Context, t server.TribeRef, limit int) ([]server.ClassCount, error) {
	cs, err := s.DB.TribeSpecies(ctx, storage.TribeRef{ServerID: t.ServerID, TribeID: t.TribeID}, limit)
	out := make([]server.ClassCount, len(cs))
	for i, c := range cs {
		out[i] = server.ClassCount{Class: c.Class, Count: c.Count}
	}
	return out, err
}

// Dinos implements server.InfoStore.
func (s Info) Dinos(ctx context.Context, servers []int64, q server.DinoQuery) ([]server.Dino, int, error) {
	ds, n, err := s.DB.InfoDinos(ctx, servers, storage.InfoDinoFilter{Class: q.Class, Tribes: refs(q.Tribes),
		MinLevel: q.MinLevel, Limit: q.Limit, Offset: q.Offset})
	out := make([]server.Dino, len(ds))
	for i, d := range ds {
		out[i] = server.Dino{ServerID: d.ServerID, Class: d.Class, Name: d.Name, Level: d.Level, Female: d.Sex == 1,
			Tribe: d.TribeName, Owner: d.OwnerName, Cryo: d.Cryopodded}
		if d.Location != nil && d.Location.HasLatLon {
			out[i].Lat, out[i].Lon, out[i].HasLoc = d.Location.Lat, d.Location.Lon, true
		}
	}
	return out, n, err
}

// Bases implements server.InfoStore.
func (s Info) Bases(ctx context.Context, servers []int64, q server.BaseQuery) ([]server.Base, int, error) {
	bs, n, err := s.DB.InfoBases(ctx, servers, storage.InfoBaseFilter{Tribes: refs(q.Tribes), DecaysBefore: q.DecaysBefore,
		OrderByDecay: q.OrderByDecay, Limit: q.Limit, Offset: q.Offset})
	out := make([]server.Base, len(bs))
	for i, b := range bs {
		out[i] = server.Base{ServerID: b.ServerID, Owner: b.Owner, OwnerName: b.OwnerName, Structures: b.Structures,
			ByMaterial: b.ByMaterial, TamedDinos: b.TamedDinos, Lat: b.Center.Lat, Lon: b.Center.Lon, HasLoc: b.Center.HasLatLon,
			Tier: b.DecayTier, DecaysAt: b.DecaysAt}
	}
	return out, n, err
}

// SnapshotTimes implements server.InfoStore.
func (s Info) SnapshotTimes(ctx context.Context, servers []int64) ([]server.SnapshotTime, error) {
	ts, err := s.DB.SnapshotTimes(ctx, servers)
	out := make([]server.SnapshotTime, len(ts))
	for i, t := range ts {
		out[i] = server.SnapshotTime{ServerID: t.ServerID, RunID: t.RunID, At: t.At}
	}
	return out, err
}

// MapBases implements server.MapStore.
func (s Info) MapBases(ctx context.Context, serverID int64, tribes []server.TribeRef) ([]server.MapBase, error) {
	bs, err := s.DB.MapBases(ctx, serverID, refs(tribes))
	out := make([]server.MapBase, len(bs))
	for i, b := range bs {
		out[i] = server.MapBase{Owner: b.Owner, OwnerName: b.OwnerName, Structures: b.Structures, Lat: b.Lat, Lon: b.Lon, DecaysAt: b.DecaysAt}
	}
	return out, err
}

// MapName implements server.MapStore.
func (s Info) MapName(ctx context.Context, serverID int64) (string, error) {
	return s.DB.SnapshotMap(ctx, serverID)
}

// Teleports implements server.MapStore: the teleporters of the server's
// latest save (tribe-owned, so staff only) and the guild's staff-managed
// points of that map (public or not as staff set them), converted to
// lat/lon with the map's constants. Points of unknown maps are skipped.
func (s Info) Teleports(ctx context.Context, guildID string, serverID int64) ([]server.MapPoint, error) {
	mapName, err := s.DB.SnapshotMap(ctx, serverID)
	if err != nil {
		return nil, err
	}
	var out []server.MapPoint
	saved, err := s.DB.SaveTeleporters(ctx, serverID)
	if err != nil {
		return nil, err
	}
	for _, p := range saved {
		name := p.Map
		if name == "" {
			name = mapName
		}
		if lat, lon, ok := maps.LatLon(name, p.X, p.Y); ok {
			out = append(out, server.MapPoint{Lat: lat, Lon: lon, Name: p.Name})
		}
	}
	m, ok := maps.Lookup(mapName)
	if !ok {
		return out, nil
	}
	staff, err := s.DB.TeleportPoints(ctx, guildID, m.Key)
	if err != nil {
		return nil, err
	}
	for _, p := range staff {
		lat, lon := m.LatLon(p.X, p.Y)
		out = append(out, server.MapPoint{Lat: lat, Lon: lon, Name: p.Name, Public: p.Public && p.TribeID == 0})
	}
	return out, nil
}

func session(x storage.Session) server.Session {
	return server.Session{ServerID: x.ServiceID, EOSID: x.EOSID, Name: x.Name, Joined: x.Joined, Left: x.Left, Seen: x.Seen}
}

func sessions(xs []storage.Session, err error) ([]server.Session, error) {
	out := make([]server.Session, len(xs))
	for i, x := range xs {
		out[i] = session(x)
	}
	return out, err
}

// OnlineNow implements server.SessionStore.
func (s Info) OnlineNow(ctx context.Context, servers []int64) ([]server.Session, error) {
	return sessions(s.DB.OnlineNow(ctx, servers))
}

// SessionsBetween implements server.SessionStore.
func (s Info) SessionsBetween(ctx context.Context, servers []int64, from, to time.Time) ([]server.Session, error) {
	return sessions(s.DB.SessionsBetween(ctx, servers, from, to))
}

// Playtime implements server.SessionStore.
func (s Info) Playtime(ctx context.Context, servers []int64, eos string, since time.Time) (time.Duration, int, error) {
	return s.DB.Playtime(ctx, servers, eos, since)
}

// PlayerByName implements server.SessionStore ("" when no session has
// that name).
func (s Info) PlayerByName(ctx context.Context, servers []int64, name string) (string, error) {
	eos, err := s.DB.SessionPlayerByName(ctx, servers, name)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	return eos, err
}

// Audit implements bots.AuditStore over the audit_log table.
type Audit struct{ DB *storage.DB }

// AddAudit implements bots.AuditStore.
func (a Audit) AddAudit(ctx context.Context, e bots.AuditEntry) error {
	_, err := a.DB.AddAudit(ctx, storage.AuditRecord{GuildID: e.GuildID, ActorID: e.ActorID, Actor: e.Actor, Bot: string(e.Bot),
		Action: e.Action, Target: e.Target, Server: e.Server, Detail: e.Detail, OK: e.OK, Result: e.Result, At: e.At})
	return err
}

// Scheduler adapts a countdown.Runner to server.Countdowns.
type Scheduler struct{ Runner *countdown.Runner }

// Schedule implements server.Countdowns.
func (s Scheduler) Schedule(ctx context.Context, r server.CountdownRequest) (int64, time.Time, error) {
	return s.Runner.Schedule(ctx, countdown.Countdown{GuildID: r.GuildID, Action: r.Action, Servers: r.Servers, Reason: r.Reason,
		ActorID: r.ActorID, Actor: r.Actor, ChannelID: r.ChannelID}, r.Minutes)
}

// Cancel implements server.Countdowns.
func (s Scheduler) Cancel(ctx context.Context, guildID string, id int64, by string) (bool, error) {
	return s.Runner.Cancel(ctx, guildID, id, by)
}

// Attach implements server.Countdowns.
func (s Scheduler) Attach(ctx context.Context, guildID string, id int64, messageID string) error {
	return s.Runner.Attach(ctx, guildID, id, messageID)
}

// Next implements server.Countdowns.
func (s Scheduler) Next(ctx context.Context, guildID string, serverID int64) (server.Pending, bool, error) {
	c, ok, err := s.Runner.Next(ctx, guildID, serverID)
	if err != nil || !ok {
		return server.Pending{}, false, err
	}
	return server.Pending{ID: c.ID, Action: c.Action, At: c.FireAt}, true, nil
}
