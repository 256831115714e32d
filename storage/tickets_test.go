package storage_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blissark/bliss/storage"
)

func TestTicketReserveLimitUnderConcurrency(t *testing.T) {
	db := MustOpen(t)
	ctx := t.Context()
	var ok, limited atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Go(func() {
			_, err := db.TicketReserve(ctx, storage.Ticket{GuildID: "g1", OpenerID: "u1", TypeID: 1}, 3, 0, 0)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, storage.ErrTicketLimit):
				limited.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 3 || limited.Load() != 47 {
		t.Fatalf("reserved %d, limited %d; want 3 and 47", ok.Load(), limited.Load())
	}
	// Numbers are per guild and dense.
	for n := int64(1); n <= 3; n++ {
		if _, err := db.TicketByNumber(ctx, "g1", n); err != nil {
			t.Fatal(err)
		}
	}
	other, err := db.TicketReserve(ctx, storage.Ticket{GuildID: "g2"}, 3, 0, 0)
	if err != nil || other.Number != 1 {
		t.Fatalf("other guild: %+v %v", other, err)
	}
}

func TestTicketCooldownTypeLimitClaimClose(t *testing.T) {
	db := MustOpen(t)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	db.Now = func() time.Time { return now }
	tk, err := db.TicketReserve(ctx, storage.Ticket{GuildID: "g", OpenerID: "u", TypeID: 7, Questions: []string{"q"}, Answers: []string{strings.Repeat("a", 4000)}}, 3, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.TicketReserve(ctx, storage.Ticket{GuildID: "g", OpenerID: "u", TypeID: 8}, 3, 0, time.Minute); !errors.Is(err, storage.ErrTicketCooldown) {
		t.Fatalf("cooldown: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := db.TicketReserve(ctx, storage.Ticket{GuildID: "g", OpenerID: "u", TypeID: 7}, 3, 1, time.Minute); !errors.Is(err, storage.ErrTicketLimit) {
		t.Fatalf("type limit: %v", err)
	}
	if err := db.TicketOpened(ctx, tk.ID, "thread1", "parent"); err != nil {
		t.Fatal(err)
	}
	got, err := db.TicketByThread(ctx, "thread1")
	if err != nil || got.State != storage.TicketOpen || len(got.Answers[0]) != 4000 {
		t.Fatalf("%+v %v", got, err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, who := range []string{"s1", "s2", "s3", "s4"} {
		wg.Go(func() {
			if ok, err := db.TicketClaim(ctx, tk.ID, who); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won", wins.Load())
	}
	if ok, _ := db.TicketClose(ctx, tk.ID, "s1", "done"); !ok {
		t.Fatal("close")
	}
	if ok, _ := db.TicketClose(ctx, tk.ID, "s1", "again"); ok {
		t.Fatal("closed twice")
	}
	now = now.Add(2 * time.Hour)
	if ok, _ := db.TicketReopen(ctx, tk.ID, time.Hour); ok {
		t.Fatal("reopened after the window")
	}
	if ok, _ := db.TicketReopen(ctx, tk.ID, 3*time.Hour); !ok {
		t.Fatal("reopen within the window")
	}
	if err := db.TicketMessagePut(ctx, storage.TicketMessage{TicketID: tk.ID, MessageID: "m1", Content: "hi", CreatedAt: now,
		AttachmentNames: []string{"a.png"}, AttachmentURLs: []string{"https://cdn/a.png"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.TicketMessagePut(ctx, storage.TicketMessage{TicketID: tk.ID, MessageID: "m1", Content: "hi (edited)", CreatedAt: now, EditedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.TicketMessageDelete(ctx, tk.ID, "m1"); err != nil {
		t.Fatal(err)
	}
	ms, err := db.TicketMessages(ctx, tk.ID)
	if err != nil || len(ms) != 1 || ms[0].Content != "hi (edited)" || !ms[0].Deleted || ms[0].EditedAt.IsZero() {
		t.Fatalf("%+v %v", ms, err)
	}
}

func TestIncidentDedupe(t *testing.T) {
	db := MustOpen(t)
	ctx := t.Context()
	var created atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Go(func() {
			_, c, err := db.IncidentRaise(ctx, storage.Incident{GuildID: "g", DedupeKey: "server_down:1", Kind: "server_down"})
			if err != nil {
				t.Error(err)
			}
			if c {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Fatalf("%d incidents created", created.Load())
	}
	open, total, repeats, err := db.IncidentCounts(ctx)
	if err != nil || open != 1 || total != 1 || repeats != 19 {
		t.Fatalf("counts %d %d %d %v", open, total, repeats, err)
	}
	if _, ok, err := db.IncidentClear(ctx, "g", "server_down:1", "back"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, ok, _ := db.IncidentClear(ctx, "g", "server_down:1", "back"); ok {
		t.Fatal("cleared twice")
	}
	// After clearing, the same key opens a new incident.
	if _, c, _ := db.IncidentRaise(ctx, storage.Incident{GuildID: "g", DedupeKey: "server_down:1", Kind: "server_down"}); !c {
		t.Fatal("not reopened")
	}
}

func TestTicketDiscardStale(t *testing.T) {
	db := MustOpen(t)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	db.Now = func() time.Time { return now }
	stale, _ := db.TicketReserve(ctx, storage.Ticket{GuildID: "g", OpenerID: "u"}, 1, 0, 0)
	opened, _ := db.TicketReserve(ctx, storage.Ticket{GuildID: "g", OpenerID: "v"}, 1, 0, 0)
	if err := db.TicketOpened(ctx, opened.ID, "th", "p"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute)
	if n, err := db.TicketDiscardStale(ctx, now.Add(-15*time.Minute)); err != nil || n != 1 {
		t.Fatalf("discarded %d, %v", n, err)
	}
	if _, err := db.TicketByID(ctx, stale.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("stale reservation kept: %v", err)
	}
	// The opener may open again.
	if _, err := db.TicketReserve(ctx, storage.Ticket{GuildID: "g", OpenerID: "u"}, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
}
