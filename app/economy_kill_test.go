package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/storage"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestEconomyKill9MidDelivery kills the real binary (SIGKILL) while an
// order's GiveItemToPlayer is in flight. After the restart that order is
// unconfirmed (for staff: it may have arrived, so it is never resent), the
// order queued behind it is delivered, each command went out once, and the
// ledger holds exactly the two debits.
func TestEconomyKill9MidDelivery(t *testing.T) {
	bin := buildBinary(t)
	ctx := context.Background()
	dir := t.TempDir()
	const guild, svc, pw = "200000000000000001", int64(4242), "kill9-rcon-pw"
	rc, err := rcontest.New(rcontest.Options{Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.SetPlayers(rcontest.Player{Name: "bob_pc", EOSID: bobEOS})
	release := make(chan struct{})
	defer close(release)
	var gives atomic.Int32
	rc.Handle("GiveItemToPlayer", func(string) string {
		if gives.Add(1) == 1 {
			<-release // in flight when the process dies
		}
		return "Gave 1 item"
	})
	port, err := portOf(rc.Addr())
	if err != nil {
		t.Fatal(err)
	}
	nf := nitradotest.New(t)
	nf.AddService(nitradotest.Service{ID: svc, Name: "Island", IP: "127.0.0.1", RCONPort: port, RCONPassword: pw})

	db, err := storage.Open(ctx, filepath.Join(dir, "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := (&guildStore{db: db}).AddServer(ctx, bots.GameServer{GuildID: guild, ServiceID: svc, Name: "Island"}); err != nil {
		t.Fatal(err)
	}
	it := storage.ShopItem{GuildID: guild, Currency: storage.AP, Name: "Helmet", Price: 10, Kind: storage.ItemGive, Blueprint: helmet, Quantity: 1}
	if err := db.ShopAdd(ctx, &it); err != nil {
		t.Fatal(err)
	}
	if err := db.PutLink(ctx, storage.Link{GuildID: guild, DiscordID: ecoGuildPlayer, EOSID: bobEOS, Name: "Bob", PlayerID: 77}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.LedgerPost(ctx, storage.LedgerEntry{GuildID: guild, Account: ecoGuildPlayer, Kind: storage.AP, Amount: 25, Reason: "give", Key: "seed"}); err != nil {
		t.Fatal(err)
	}
	var orders []int64
	for _, k := range []string{"k1", "k2"} {
		o, _, err := db.Purchase(ctx, storage.PurchaseRequest{GuildID: guild, Currency: storage.AP, Account: ecoGuildPlayer, ItemID: it.ID, Key: k})
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o.ID)
	}

	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, kv := range testEnv(t, dir) {
		if !strings.HasPrefix(kv, "BLISS_NITRADO_") {
			env = append(env, kv)
		}
	}
	env = append(env, "BLISS_NITRADO_URL="+nf.URL(), "BLISS_NITRADO_TOKEN="+nf.Token())
	var logs lockedBuf
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "-config", "")
		cmd.Env, cmd.Stderr = env, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(120 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s; logs:\n%s", what, logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	state := func(id int64) string {
		o, err := db.GetOrder(ctx, id)
		if err != nil {
			return err.Error()
		}
		return o.State
	}

	first := start()
	waitFor("the first GiveItemToPlayer", func() bool { return gives.Load() >= 1 })
	if s := state(orders[0]); s != storage.OrderSending {
		t.Fatalf("order in flight is %s", s)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	second := start()
	defer func() {
		_ = second.Process.Signal(syscall.SIGTERM)
		_ = second.Wait()
	}()
	waitFor("the queued order delivered after the restart", func() bool { return state(orders[1]) == storage.OrderDelivered })
	if s := state(orders[0]); s != storage.OrderUnconfirmed {
		t.Fatalf("interrupted order is %s, want unconfirmed", s)
	}
	if n := gives.Load(); n != 2 {
		t.Fatalf("%d GiveItemToPlayer commands, want 2 (one per order)", n)
	}
	if b, _ := db.Balance(ctx, guild, storage.AP, ecoGuildPlayer); b != 5 {
		t.Fatalf("balance %d, want 5", b)
	}
	if bad, _ := db.LedgerAudit(ctx); len(bad) > 0 {
		t.Fatal(bad)
	}
	db.Close()
}
