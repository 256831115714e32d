package storage_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/storage"
)

func TestOutboxAddDedupesOnKey(t *testing.T) {
	db := openSnapDB(t)
	ctx := context.Background()
	it := storage.OutboxItem{Kind: "chat", Key: "chat:1:stamp:abc", GuildID: "g", ServiceID: 7, Target: "thread", Payload: []byte(`{"a":1}`)}
	id1, created, err := db.OutboxAdd(ctx, it)
	if err != nil || !created {
		t.Fatalf("first add: %d %v %v", id1, created, err)
	}
	id2, created, err := db.OutboxAdd(ctx, it)
	if err != nil || created || id2 != id1 {
		t.Fatalf("second add: id %d (want %d) created %v err %v", id2, id1, created, err)
	}
	got, err := db.OutboxGet(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != storage.OutboxPending || got.ServiceID != 7 || string(got.Payload) != `{"a":1}` || got.Target != "thread" {
		t.Fatalf("row %+v", got)
	}
	if _, _, err := db.OutboxAdd(ctx, storage.OutboxItem{Kind: "chat"}); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("empty key: %v", err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	db := openSnapDB(t)
	ctx := context.Background()
	now := time.Now()
	var ids []int64
	for i := range 3 {
		id, _, err := db.OutboxAdd(ctx, storage.OutboxItem{Kind: "delivery", Key: fmt.Sprint("order:", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, _, err := db.OutboxAdd(ctx, storage.OutboxItem{Kind: "chat", Key: "other-kind"}); err != nil {
		t.Fatal(err)
	}
	due, err := db.OutboxDue(ctx, "delivery", now, 10)
	if err != nil || len(due) != 3 || due[0].ID != ids[0] || due[2].ID != ids[2] {
		t.Fatalf("due %v %v", due, err)
	}
	if err := db.OutboxRetry(ctx, ids[0], now.Add(time.Hour), "server offline"); err != nil {
		t.Fatal(err)
	}
	if err := db.OutboxDone(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := db.OutboxSetState(ctx, ids[2], storage.OutboxUnconfirmed, "silent reply"); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.OutboxDue(ctx, "delivery", now, 10); len(due) != 0 {
		t.Fatalf("nothing due now, got %d", len(due))
	}
	due, _ = db.OutboxDue(ctx, "delivery", now.Add(2*time.Hour), 10)
	if len(due) != 1 || due[0].ID != ids[0] || due[0].Attempts != 1 || due[0].LastError != "server offline" {
		t.Fatalf("retry row %+v", due)
	}
	counts, err := db.OutboxCounts(ctx, "delivery")
	if err != nil {
		t.Fatal(err)
	}
	if counts[storage.OutboxPending] != 1 || counts[storage.OutboxDone] != 1 || counts[storage.OutboxUnconfirmed] != 1 {
		t.Fatalf("counts %v", counts)
	}
	if err := db.OutboxRetry(ctx, ids[2], now, "x"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("retry of a non-pending row: %v", err)
	}
	if err := db.OutboxSetState(ctx, ids[2], "bogus", ""); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("bogus state: %v", err)
	}
	if n, err := db.OutboxPrune(ctx, "delivery", time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("prune %d %v", n, err)
	}
}

func TestRecordStreamCursorAndItemsTogether(t *testing.T) {
	db := openSnapDB(t)
	ctx := context.Background()
	items := []storage.OutboxItem{{Kind: "chat", Key: "a"}, {Kind: "chat", Key: "b"}}
	n, err := db.RecordStream(ctx, "gamelog:7", "100", items)
	if err != nil || n != 2 {
		t.Fatalf("record %d %v", n, err)
	}
	// A repeat read (the same lines again, a later cursor) adds nothing new.
	n, err = db.RecordStream(ctx, "gamelog:7", "120", append(items, storage.OutboxItem{Kind: "chat", Key: "c"}))
	if err != nil || n != 1 {
		t.Fatalf("repeat %d %v", n, err)
	}
	if v, _ := db.Cursor(ctx, "gamelog:7"); v != "120" {
		t.Fatalf("cursor %q", v)
	}
	// A bad item rolls back the whole read: the cursor does not move.
	if _, err := db.RecordStream(ctx, "gamelog:7", "999", []storage.OutboxItem{{Kind: "chat", Key: "d"}, {Kind: "chat"}}); err == nil {
		t.Fatal("bad item accepted")
	}
	if v, _ := db.Cursor(ctx, "gamelog:7"); v != "120" {
		t.Fatalf("cursor moved on a failed record: %q", v)
	}
	if _, err := db.OutboxByKey(ctx, "d"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("item of a failed record kept: %v", err)
	}
	if v, err := db.Cursor(ctx, "unset"); v != "" || err != nil {
		t.Fatalf("unset cursor %q %v", v, err)
	}
}

// Two readers recording the same lines concurrently (a reconcile beside a
// poll) still record each line once.
func TestRecordStreamConcurrentDedupe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bliss.db")
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	created := make([]int, 4)
	for w := range 4 {
		wg.Go(func() {
			var items []storage.OutboxItem
			for i := range 50 {
				items = append(items, storage.OutboxItem{Kind: "chat", Key: fmt.Sprint("line:", i)})
			}
			n, err := db.RecordStream(ctx, "", "", items)
			if err != nil {
				t.Error(err)
			}
			created[w] = n
		})
	}
	wg.Wait()
	total := 0
	for _, n := range created {
		total += n
	}
	if total != 50 {
		t.Fatalf("created %d rows in all, want 50", total)
	}
}

func TestOutboxNonce(t *testing.T) {
	if n := storage.OutboxNonce(1<<62 + 12345); len(n) > 25 {
		t.Fatalf("nonce %q longer than Discord's 25", n)
	}
	if storage.OutboxNonce(1) == storage.OutboxNonce(2) {
		t.Fatal("nonces collide")
	}
}

func BenchmarkRecordStream(b *testing.B) {
	db := openSnapDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		items := make([]storage.OutboxItem, 20)
		for j := range items {
			items[j] = storage.OutboxItem{Kind: "chat", Key: fmt.Sprintf("k:%d:%d", i, j), Payload: []byte("Survivor (Bob): hello there")}
		}
		if _, err := db.RecordStream(ctx, "c", fmt.Sprint(i), items); err != nil {
			b.Fatal(err)
		}
	}
}
