package bots_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
)

type auditRows struct {
	mu   sync.Mutex
	rows []bots.AuditEntry
	fail error
}

func (s *auditRows) AddAudit(_ context.Context, e bots.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.rows = append(s.rows, e)
	return nil
}

func TestAuditorRowThenAdminLog(t *testing.T) {
	ctx := context.Background()
	guilds := bots.NewMemStore()
	_ = guilds.SaveGuildSettings(ctx, bots.GuildSettings{GuildID: "g1", LogChannels: map[string]string{"admin": "c1"}})
	store := &auditRows{}
	var posted []string
	var embeds []*discordgo.MessageEmbed
	post := func(_ context.Context, ch string, e *discordgo.MessageEmbed) error {
		posted, embeds = append(posted, ch), append(embeds, e)
		return nil
	}
	a := bots.NewAuditor(store, post, guilds)
	e := bots.AuditEntry{GuildID: "g1", ActorID: "42", Actor: "Mod*", Bot: bots.Server, Action: "ban",
		Target: "Alice @everyone", Server: "Island", Detail: "reason\nwith <@1> newline", OK: true, Result: "banned on 3 of 3 servers"}
	if err := a.Audit(ctx, e); err != nil {
		t.Fatal(err)
	}
	if len(store.rows) != 1 || store.rows[0].At.IsZero() || strings.Contains(store.rows[0].Detail, "\n") || strings.Contains(store.rows[0].Detail, "<@1>") {
		t.Fatalf("row: %+v", store.rows)
	}
	if len(posted) != 1 || posted[0] != "c1" {
		t.Fatalf("posted to %v", posted)
	}
	var all strings.Builder
	for _, f := range embeds[0].Fields {
		all.WriteString(f.Name + "=" + f.Value + ";")
	}
	if s := all.String(); !strings.Contains(s, "<@42>") || strings.Contains(s, "@everyone") || !strings.Contains(s, "3 of 3") {
		t.Fatalf("embed: %s", s)
	}
	// A guild without an admin log channel: row only.
	if err := a.Audit(ctx, bots.AuditEntry{GuildID: "g2", Action: "kick"}); err != nil || len(posted) != 1 || len(store.rows) != 2 {
		t.Fatalf("g2: %v %v %d", err, posted, len(store.rows))
	}
	// A failed post is reported after the row was written.
	failing := bots.NewAuditor(store, func(context.Context, string, *discordgo.MessageEmbed) error { return errors.New("429") }, guilds)
	if err := failing.Audit(ctx, bots.AuditEntry{GuildID: "g1", Action: "kick"}); !errors.Is(err, bots.ErrAuditPost) || len(store.rows) != 3 {
		t.Fatalf("failed post: %v rows %d", err, len(store.rows))
	}
	// A failed row is an error and posts nothing.
	store.fail = errors.New("disk full")
	if err := a.Audit(ctx, bots.AuditEntry{GuildID: "g1", Action: "kick"}); err == nil || len(posted) != 1 {
		t.Fatalf("failed row: %v %v", err, posted)
	}
	if err := a.Audit(ctx, bots.AuditEntry{Action: "kick"}); err == nil {
		t.Fatal("entry without guild accepted")
	}
}
