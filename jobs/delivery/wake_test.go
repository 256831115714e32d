package delivery_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/jobs/delivery"
)

// fakeStore is delivery.Store for one order of a buyer.
type fakeStore struct {
	mu      sync.Mutex
	state   string
	next    time.Time
	player  delivery.Player
	servers []int64
	woken   int
}

func (s *fakeStore) Due(_ context.Context, now time.Time, _ int) ([]delivery.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != "pending" || s.next.After(now) {
		return nil, nil
	}
	p, _ := json.Marshal(delivery.Payload{OrderID: 1, Account: "u1", ItemName: "Helmet", Kind: "item", Blueprint: "/Game/X/Y.Y", Servers: s.servers})
	return []delivery.Item{{ID: 10, GuildID: "g", Payload: p}}, nil
}
func (s *fakeStore) OrderState(context.Context, int64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, nil
}
func (s *fakeStore) Player(context.Context, string, string) (delivery.Player, bool, error) {
	return s.player, true, nil
}
func (s *fakeStore) Servers(context.Context, string) ([]int64, error) { return s.servers, nil }
func (s *fakeStore) Retries(context.Context, string) int              { return 3 }
func (s *fakeStore) Postpone(_ context.Context, _ int64, next time.Time, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = next
	return nil
}
func (s *fakeStore) Close(context.Context, int64, string) error { return nil }
func (s *fakeStore) set(from, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != from {
		return delivery.ErrState
	}
	s.state = to
	return nil
}
func (s *fakeStore) Sending(context.Context, int64) error { return s.set("pending", "sending") }
func (s *fakeStore) Delivered(context.Context, int64, string) error {
	return s.set("sending", "delivered")
}
func (s *fakeStore) Unconfirmed(context.Context, int64, string) error {
	return s.set("sending", "unconfirmed")
}
func (s *fakeStore) Failed(context.Context, int64, string) (int, error) {
	return 1, s.set("sending", "pending")
}
func (s *fakeStore) Refund(context.Context, int64, string) error { return s.set("pending", "refunded") }
func (s *fakeStore) Recover(context.Context) (int, error)        { return 0, nil }
func (s *fakeStore) Wake(_ context.Context, ids []int64) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != "pending" || !slices.Contains(ids, 10) {
		return nil, nil
	}
	s.next = time.Time{}
	s.woken++
	return []int64{10}, nil
}

// fakeRCON answers ListPlayers with the players online per server.
type fakeRCON struct {
	mu     sync.Mutex
	online map[int64]string // server → "name, eos" line
	cmds   []string
}

func (r *fakeRCON) Exec(_ context.Context, svc int64, cmd string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, cmd)
	switch {
	case cmd == "ListPlayers":
		if l, ok := r.online[svc]; ok {
			return "0. " + l + "\n", nil
		}
		return "No Players Connected", nil
	case strings.HasPrefix(cmd, "GiveItemToPlayer"):
		return "Gave item", nil
	}
	return "Server received, But no response!!", nil
}

const eos = "0002aaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// An order postponed for an offline buyer is listed by Waiting, becomes
// due when Wake sees the buyer on a server it can be delivered on (not on
// another), is not woken again within the spacing, and the buyer is told
// in game once it is delivered (by EOS id when the name cannot be quoted).
func TestWakeOnJoin(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	st := &fakeStore{state: "pending", player: delivery.Player{EOSID: strings.ToUpper(eos), PlayerID: 42, Name: "Bob"}, servers: []int64{1}}
	rc := &fakeRCON{online: map[int64]string{}}
	j := delivery.New(st, rc, nil, delivery.Options{Now: func() time.Time { return now }, OfflineRecheck: time.Hour})
	if s, err := j.Tick(ctx); err != nil || s.Waiting != 1 {
		t.Fatalf("offline: %+v %v", s, err)
	}
	if w := j.Waiting(); !slices.Equal(w[eos], []int64{1}) {
		t.Fatalf("waiting %v", w)
	}
	if n, _ := j.Wake(ctx, map[string][]int64{eos: {2}}); n != 0 {
		t.Fatal("woken by a server the item is not sold on")
	}
	if n, _ := j.Wake(ctx, map[string][]int64{eos: {1}}); n != 1 {
		t.Fatal("not woken by the join")
	}
	if n, _ := j.Wake(ctx, map[string][]int64{eos: {1}}); n != 0 {
		t.Fatal("woken twice within the spacing")
	}
	// The feed saw Bob but ListPlayers does not list him yet: the order
	// waits again, and is not woken again before the spacing has passed.
	if s, err := j.Tick(ctx); err != nil || s.Waiting != 1 {
		t.Fatalf("woken, still offline: %+v %v", s, err)
	}
	if n, _ := j.Wake(ctx, map[string][]int64{eos: {1}}); n != 0 {
		t.Fatal("woken again right after a tick that found the buyer offline")
	}
	now = now.Add(time.Minute)
	if n, _ := j.Wake(ctx, map[string][]int64{eos: {1}}); n != 1 {
		t.Fatal("not woken after the spacing")
	}
	rc.online[1] = `Bøb the "Great", ` + eos
	if s, err := j.Tick(ctx); err != nil || s.Delivered != 1 {
		t.Fatalf("after join: %+v %v", s, err)
	}
	last := rc.cmds[len(rc.cmds)-1]
	if want := `ServerChatTo "` + eos + `" Bliss: your order #1 (Helmet) was delivered.`; last != want {
		t.Fatalf("message %q, want %q", last, want)
	}
	if len(j.Waiting()) != 0 {
		t.Fatalf("still waiting: %v", j.Waiting())
	}
	now = now.Add(time.Minute)
	if n, _ := j.Wake(ctx, map[string][]int64{eos: {1}}); n != 0 {
		t.Fatal("a delivered order woken")
	}
}
