package donations_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/jobs/donations"
)

type postStore struct {
	posts   []donations.Post
	settled map[int64]string // id → done/retry/failed
	next    map[int64]time.Time
}

func (s *postStore) Servers(context.Context) ([]donations.Server, error) {
	return []donations.Server{{GuildID: "g", ServiceID: 1, Name: "Island"}}, nil
}
func (s *postStore) Rates(context.Context, string) donations.Rates  { return donations.Rates{} }
func (s *postStore) Cursor(context.Context, string) (string, error) { return "", nil }
func (s *postStore) RedeemCode(context.Context, string, string, string) (string, int64, error) {
	return "", 0, nil
}
func (s *postStore) Record(context.Context, string, string, []donations.Boost, *donations.Server) ([]donations.Boost, error) {
	return nil, nil
}
func (s *postStore) MonthTotal(context.Context, string, time.Time) (int64, int, error) {
	return 300, 1, nil
}
func (s *postStore) Totals(context.Context, int64) (int, int64, error) { return 5, 1200, nil }
func (s *postStore) DuePosts(context.Context, time.Time, int) ([]donations.Post, error) {
	var out []donations.Post
	for _, p := range s.posts {
		if s.settled[p.ID] == "" || s.settled[p.ID] == "retry" {
			out = append(out, p)
		}
	}
	return out, nil
}
func (s *postStore) PostDone(_ context.Context, id int64, _ string) error {
	s.settled[id] = "done"
	return nil
}
func (s *postStore) PostRetry(_ context.Context, id int64, next time.Time, _ string) error {
	s.settled[id], s.next[id] = "retry", next
	return nil
}
func (s *postStore) PostFailed(_ context.Context, id int64, _ string) error {
	s.settled[id] = "failed"
	return nil
}
func (s *postStore) Boost(_ context.Context, svc, id int64) (donations.Boost, string, error) {
	return donations.Boost{ServiceID: svc, BoostID: id, Username: "alice", Cents: 300}, "", nil
}

type noAPI struct{}

func (noAPI) BoostHistory(context.Context, int64, int) (*nitrado.BoostPage, error) {
	return &nitrado.BoostPage{}, nil
}

type ann struct {
	err    map[int64]error // by boost id (0: the summary)
	nonces []string
	users  []string
}

func (a *ann) Boost(_ context.Context, _ donations.Server, b donations.Boost, _ int64, _ int, _, nonce string) error {
	a.nonces, a.users = append(a.nonces, nonce), append(a.users, b.Username)
	return a.err[b.BoostID]
}
func (a *ann) Imported(_ context.Context, _ donations.Server, _ int, _ int64, nonce string) error {
	a.nonces = append(a.nonces, nonce)
	return a.err[0]
}

// Deliver settles each queued post: posted → done, no channel → done
// without a post, a failure → retried later with backoff, and given up
// after the attempt budget. Posts carry their row's nonce and the donor's
// spelling.
func TestDeliverSettles(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	st := &postStore{settled: map[int64]string{}, next: map[int64]time.Time{}, posts: []donations.Post{
		{ID: 1, ServiceID: 1, BoostID: 11, Username: "Alice"},
		{ID: 2, ServiceID: 1, BoostID: 12},
		{ID: 3, ServiceID: 1, BoostID: 13, Attempts: 11},
		{ID: 4, ServiceID: 1, Summary: true},
	}}
	a := &ann{err: map[int64]error{12: errors.New("503"), 13: errors.New("403"), 0: donations.ErrNoChannel}}
	j := donations.New(st, noAPI{}, a, nil, donations.Options{Now: func() time.Time { return now }})
	if err := j.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{1: "done", 2: "retry", 3: "failed", 4: "done"}
	for id, s := range want {
		if st.settled[id] != s {
			t.Errorf("post %d: %q, want %q", id, st.settled[id], s)
		}
	}
	if !st.next[2].After(now) {
		t.Errorf("retry at %v, not after %v", st.next[2], now)
	}
	if a.nonces[0] != "bl1" || a.users[0] != "Alice" {
		t.Errorf("first post: nonce %q, donor %q", a.nonces[0], a.users[0])
	}
}
