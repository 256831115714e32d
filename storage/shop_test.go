package storage_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blissark/bliss/storage"
)

func addItem(t testing.TB, db *storage.DB, it storage.ShopItem) storage.ShopItem {
	t.Helper()
	if it.GuildID == "" {
		it.GuildID = "g"
	}
	if it.Currency == "" {
		it.Currency = storage.AP
	}
	if it.Kind == "" {
		it.Kind = storage.ItemGive
		it.Blueprint, it.Quantity = "/Game/PrimalEarth/CoreBlueprints/Items/Armor/Metal/PrimalItemArmor_MetalHelmet.PrimalItemArmor_MetalHelmet", 1
	}
	if err := db.ShopAdd(t.Context(), &it); err != nil {
		t.Fatal(err)
	}
	return it
}

// 100 concurrent purchases with a balance for 3: exactly 3 orders, 3
// delivery rows, balance zero, ledger consistent.
func TestPurchaseConcurrent(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	it := addItem(t, db, storage.ShopItem{Name: "Helmet", Price: 10})
	credit(t, db, "g", "u1", storage.AP, 30, "seed")
	var ok, short atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			_, _, err := db.Purchase(ctx, storage.PurchaseRequest{GuildID: "g", Currency: storage.AP, Account: "u1",
				ItemID: it.ID, Key: fmt.Sprintf("click-%d", i)})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, storage.ErrInsufficient):
				short.Add(1)
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ok.Load() != 3 {
		t.Fatalf("%d purchases succeeded, want 3", ok.Load())
	}
	orders, n, err := db.Orders(ctx, storage.OrderFilter{GuildID: "g"}, 100, 0)
	if err != nil || n != 3 {
		t.Fatalf("%d orders, %v", n, err)
	}
	counts, _ := db.OutboxCounts(ctx, storage.DeliveryKind)
	if counts[storage.OutboxPending] != 3 {
		t.Fatalf("outbox %v", counts)
	}
	if b, _ := db.Balance(ctx, "g", storage.AP, "u1"); b != 0 {
		t.Fatalf("balance %d", b)
	}
	var p storage.DeliveryPayload
	row, _ := db.OutboxGet(ctx, orders[0].OutboxID)
	if err := json.Unmarshal(row.Payload, &p); err != nil || p.OrderID != orders[0].ID || p.Blueprint == "" {
		t.Fatalf("payload %s: %v", row.Payload, err)
	}
	assertConsistent(t, db)
}

func TestPurchaseRulesAndRefund(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	lim := addItem(t, db, storage.ShopItem{Name: "Once", Price: 5, MaxPerPlayer: 1})
	cd := addItem(t, db, storage.ShopItem{Name: "Daily", Price: 5, Cooldown: 24 * time.Hour, Servers: []int64{7}})
	desk := addItem(t, db, storage.ShopItem{Name: "Base move", Price: 5, Kind: storage.ItemDesk, Currency: storage.GP})
	if err := db.ShopAdd(ctx, &storage.ShopItem{GuildID: "g", Currency: storage.AP, Name: "once", Price: 1, Kind: storage.ItemDesk}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	credit(t, db, "g", "u1", storage.AP, 100, "seed")
	credit(t, db, "g", "u1", storage.GP, 100, "seedgp")
	buy := func(cur storage.Currency, id int64, key string, svc int64) (storage.Order, error) {
		o, _, err := db.Purchase(ctx, storage.PurchaseRequest{GuildID: "g", Currency: cur, Account: "u1", ItemID: id, Key: key, ServiceID: svc})
		return o, err
	}
	o1, err := buy(storage.AP, lim.ID, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := buy(storage.AP, lim.ID, "a", 0); err != nil || again.ID != o1.ID { // the same click again
		t.Fatal(again, err)
	}
	if _, err := buy(storage.AP, lim.ID, "b", 0); !errors.Is(err, storage.ErrLimit) {
		t.Fatal(err)
	}
	if _, err := buy(storage.AP, cd.ID, "c", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := buy(storage.AP, cd.ID, "d", 0); !errors.Is(err, storage.ErrCooldown) {
		t.Fatal(err)
	}
	now = now.Add(25 * time.Hour)
	if _, err := buy(storage.AP, cd.ID, "e", 8); !errors.Is(err, storage.ErrInvalid) { // not sold on 8
		t.Fatal(err)
	}
	if _, err := buy(storage.AP, cd.ID, "e", 7); err != nil {
		t.Fatal(err)
	}
	if _, err := buy(storage.AP, desk.ID, "f", 0); !errors.Is(err, storage.ErrNotFound) { // GP item, AP currency
		t.Fatal(err)
	}
	d, err := buy(storage.GP, desk.ID, "f", 0)
	if err != nil || d.State != storage.OrderOpen || d.OutboxID != 0 {
		t.Fatal(d, err)
	}
	// Refund once, however often asked; a refunded order refunds nothing more.
	from := []string{storage.OrderPending, storage.OrderUnconfirmed}
	if _, err := db.RefundOrder(ctx, o1.ID, from, storage.OrderRefunded, "staff", "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RefundOrder(ctx, o1.ID, from, storage.OrderRefunded, "staff", "s1"); !errors.Is(err, storage.ErrState) {
		t.Fatal(err)
	}
	if b, _ := db.Balance(ctx, "g", storage.AP, "u1"); b != 100-5-5-5+5 {
		t.Fatalf("balance %d", b)
	}
	if row, _ := db.OutboxGet(ctx, o1.OutboxID); row.State != storage.OutboxFailed {
		t.Fatalf("refunded delivery row is %s", row.State)
	}
	// Two staff fulfil a desk order at once: one wins.
	if _, err := db.OrderTransition(ctx, d.ID, []string{storage.OrderOpen}, storage.OrderAccepted, "", "s1"); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			_, err := db.OrderTransition(ctx, d.ID, []string{storage.OrderOpen, storage.OrderAccepted}, storage.OrderFulfilled, "", fmt.Sprint("s", i))
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, storage.ErrState) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d fulfils won", wins.Load())
	}
	assertConsistent(t, db)
}

func TestRecoverSending(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	it := addItem(t, db, storage.ShopItem{Name: "Helmet", Price: 10})
	credit(t, db, "g", "u1", storage.AP, 30, "seed")
	o, _, err := db.Purchase(ctx, storage.PurchaseRequest{GuildID: "g", Currency: storage.AP, Account: "u1", ItemID: it.ID, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.OrderTransition(ctx, o.ID, []string{storage.OrderPending}, storage.OrderSending, "", ""); err != nil {
		t.Fatal(err)
	}
	got, err := db.RecoverSending(ctx)
	if err != nil || len(got) != 1 || got[0].State != storage.OrderUnconfirmed {
		t.Fatal(got, err)
	}
	if row, _ := db.OutboxGet(ctx, o.OutboxID); row.State != storage.OutboxUnconfirmed {
		t.Fatal(row.State)
	}
}

// BenchmarkPurchase: debit + order + delivery outbox row, one transaction
// each, from parallel buyers on one SQLite file.
func BenchmarkPurchase(b *testing.B) {
	db := MustOpen(b)
	ctx := b.Context()
	it := addItem(b, db, storage.ShopItem{Name: "Helmet", Price: 1})
	for i := range 16 {
		credit(b, db, "g", fmt.Sprint("u", i), storage.AP, 1e11, fmt.Sprint("seed", i))
	}
	var n atomic.Int64
	b.SetParallelism(16) // a burst of buyers
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, _, err := db.Purchase(ctx, storage.PurchaseRequest{GuildID: "g", Currency: storage.AP,
				Account: fmt.Sprint("u", i%16), ItemID: it.ID, Key: fmt.Sprint("k", i)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "purchases/s")
	reportCPU(b, cpu, "purchase")
	if txs, reqs := db.GroupCommitStats(); txs > 0 {
		b.ReportMetric(float64(reqs)/float64(txs), "purchases/tx")
	}
}

// A failing savepoint-free request in a group makes the group start over,
// one transaction per request: the other purchases still commit, once.
func TestPurchaseGroupStartsOver(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	it := addItem(t, db, storage.ShopItem{Name: "Helmet", Price: 1})
	credit(t, db, "g", "u1", storage.AP, 100, "seed")
	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := range 40 {
		wg.Go(func() {
			if i%4 == 0 {
				if db.TestPanicInCleanGroup(ctx) == nil {
					t.Error("panic not reported")
				}
				return
			}
			if _, _, err := db.Purchase(ctx, storage.PurchaseRequest{GuildID: "g", Currency: storage.AP, Account: "u1", ItemID: it.ID, Key: fmt.Sprint(i)}); err != nil {
				t.Error(err)
				return
			}
			ok.Add(1)
		})
	}
	wg.Wait()
	if _, n, _ := db.Orders(ctx, storage.OrderFilter{GuildID: "g"}, 100, 0); n != int(ok.Load()) || n != 30 {
		t.Fatalf("%d orders, %d purchases ok", n, ok.Load())
	}
	if b, _ := db.Balance(ctx, "g", storage.AP, "u1"); b != 70 {
		t.Fatalf("balance %d", b)
	}
	assertConsistent(t, db)
}
