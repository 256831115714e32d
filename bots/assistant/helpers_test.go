package assistant

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
)

const (
	testGuild  = "100000000000000001"
	testStaff  = "200000000000000001"
	testPlayer = "200000000000000002"
)

// memTeleports is an in-memory TeleportStore.
type memTeleports struct {
	mu  sync.Mutex
	pts map[string][]TeleportPoint // guild|map
}

func (m *memTeleports) TeleportPoints(_ context.Context, guildID, mapKey string) ([]TeleportPoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.pts[guildID+"|"+mapKey]), nil
}

func (m *memTeleports) AddTeleportPoint(_ context.Context, guildID string, p TeleportPoint) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pts == nil {
		m.pts = map[string][]TeleportPoint{}
	}
	k := guildID + "|" + p.Map
	for i, q := range m.pts[k] {
		if strings.EqualFold(q.Name, p.Name) {
			m.pts[k][i] = p
			return false, nil
		}
	}
	m.pts[k] = append(m.pts[k], p)
	return true, nil
}

func (m *memTeleports) RemoveTeleportPoint(_ context.Context, guildID, mapKey, name string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := guildID + "|" + mapKey
	for i, q := range m.pts[k] {
		if strings.EqualFold(q.Name, name) {
			m.pts[k] = slices.Delete(m.pts[k], i, i+1)
			return true, nil
		}
	}
	return false, nil
}

// fakeWorld is a World with fixed snapshots.
type fakeWorld struct {
	maps    map[int64]string
	bases   map[int64][]Base
	tps     map[int64][]TeleportPoint
	tribeOf map[string]int64 // discord id -> tribe (every server)
}

func (w fakeWorld) ServerMap(_ context.Context, id int64) (string, error) { return w.maps[id], nil }
func (w fakeWorld) Bases(_ context.Context, id int64) ([]Base, error)     { return w.bases[id], nil }
func (w fakeWorld) SaveTeleporters(_ context.Context, id int64) ([]TeleportPoint, error) {
	return w.tps[id], nil
}
func (w fakeWorld) TribeOf(_ context.Context, _, discordID string, _ int64) (int64, bool, error) {
	t, ok := w.tribeOf[discordID]
	return t, ok, nil
}

type memZones struct {
	mu sync.Mutex
	z  map[string]string
}

func (m *memZones) UserTimezone(_ context.Context, u string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.z[u], nil
}

func (m *memZones) SetUserTimezone(_ context.Context, u, z string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.z == nil {
		m.z = map[string]string{}
	}
	if z == "" {
		delete(m.z, u)
	} else {
		m.z[u] = z
	}
	return nil
}

func testBot(t *testing.T, d Deps) *bot {
	t.Helper()
	if d.Store == nil {
		d.Store = bots.NewMemStore()
	}
	if d.Now == nil {
		d.Now = func() time.Time { return time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC) }
	}
	return &bot{Deps: d, staff: bots.StaffFromStore(d.Store), parser: NewParser()}
}

// ctxFor builds a handler context: staff members carry Administrator.
func ctxFor(user string, staff bool, opts ...*discordgo.ApplicationCommandInteractionDataOption) *bots.Ctx {
	m := &discordgo.Member{User: &discordgo.User{ID: user, Username: "u" + user[len(user)-2:]}}
	if staff {
		m.Permissions = discordgo.PermissionAdministrator
	}
	c := &bots.Ctx{GuildID: testGuild, User: m.User, Member: m, Options: map[string]*discordgo.ApplicationCommandInteractionDataOption{}}
	for _, o := range opts {
		c.Options[o.Name] = o
	}
	return c
}

func optS(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
}

func optN(name string, v float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionNumber, Value: v}
}

func optI(name string, v int64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: float64(v)}
}

func optB(name string, v bool) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
}

// replyText flattens a response for assertions.
func replyText(r *bots.Response) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(r.Content)
	for _, e := range r.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + ": " + f.Value)
		}
		if e.Footer != nil {
			b.WriteString("\n" + e.Footer.Text)
		}
	}
	return b.String()
}
