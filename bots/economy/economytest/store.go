// Package economytest is an in-process economy.Store for the unit tests of
// the bots built on bots/economy (AP, GP): one currency's ledger, catalogue
// and orders behind a mutex, with the same rules as the SQLite store
// (idempotency keys, no balance below zero, state transitions that only one
// of two concurrent callers wins, refunds once).
package economytest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blissark/bliss/bots/economy"
)

// Store is an economy.Store. The zero value is not usable: use New.
type Store struct {
	mu      sync.Mutex
	now     func() time.Time
	entries []entry
	keys    map[string]int // ledger key → index in entries
	items   map[int64]economy.Item
	orders  []economy.Order
	byKey   map[string]int64 // order key → id
	nextID  int64
}

type entry struct {
	guild, account string
	economy.Entry
	key string
}

var _ economy.Store = (*Store)(nil)

// New returns an empty store; now may be nil (time.Now).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, keys: map[string]int{}, items: map[int64]economy.Item{}, byKey: map[string]int64{}}
}

func (s *Store) balanceLocked(guildID, account string) int64 {
	var b int64
	for _, e := range s.entries {
		if e.guild == guildID && e.account == account {
			b += e.Amount
		}
	}
	return b
}

// Balance implements economy.Store.
func (s *Store) Balance(_ context.Context, guildID, account string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balanceLocked(guildID, account), nil
}

func (s *Store) postLocked(guildID, account string, amount int64, reason, ref, key, actor string) (bool, error) {
	if _, ok := s.keys[key]; ok {
		return false, nil
	}
	if amount < 0 && s.balanceLocked(guildID, account)+amount < 0 {
		return false, fmt.Errorf("economytest: %w", economy.ErrInsufficient)
	}
	s.keys[key] = len(s.entries)
	s.entries = append(s.entries, entry{guild: guildID, account: account, key: key,
		Entry: economy.Entry{Amount: amount, Reason: reason, Reference: ref, Actor: actor, At: s.now()}})
	return true, nil
}

// Post implements economy.Store.
func (s *Store) Post(_ context.Context, guildID, account string, amount int64, reason, ref, key, actor string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.postLocked(guildID, account, amount, reason, ref, key, actor)
}

// Entries returns an account's entries, oldest first.
func (s *Store) Entries(guildID, account string) []economy.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []economy.Entry
	for _, e := range s.entries {
		if e.guild == guildID && e.account == account {
			out = append(out, e.Entry)
		}
	}
	return out
}

// History implements economy.Store.
func (s *Store) History(_ context.Context, guildID, account string, limit, offset int) ([]economy.Entry, int, error) {
	all := s.Entries(guildID, account)
	slices.Reverse(all)
	return page(all, limit, offset), len(all), nil
}

func page[T any](all []T, limit, offset int) []T {
	if offset >= len(all) {
		return nil
	}
	return all[offset:min(len(all), offset+limit)]
}

// Leaderboard implements economy.Store (balances; since is ignored).
func (s *Store) Leaderboard(_ context.Context, guildID string, _ time.Time, limit, offset int) ([]economy.Standing, int, error) {
	s.mu.Lock()
	sum := map[string]int64{}
	for _, e := range s.entries {
		if e.guild == guildID {
			sum[e.account] += e.Amount
		}
	}
	s.mu.Unlock()
	var out []economy.Standing
	for a, p := range sum {
		if p > 0 {
			out = append(out, economy.Standing{Account: a, Points: p})
		}
	}
	slices.SortFunc(out, func(a, b economy.Standing) int {
		if a.Points != b.Points {
			return int(b.Points - a.Points)
		}
		return strings.Compare(a.Account, b.Account)
	})
	return page(out, limit, offset), len(out), nil
}

// Items implements economy.Store.
func (s *Store) Items(context.Context, string) ([]economy.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []economy.Item
	for _, it := range s.items {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b economy.Item) int { return int(a.ID - b.ID) })
	return out, nil
}

// Item implements economy.Store.
func (s *Store) Item(_ context.Context, _ string, idOrName string) (economy.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, err := strconv.ParseInt(idOrName, 10, 64); err == nil {
		if it, ok := s.items[id]; ok {
			return it, nil
		}
	}
	for _, it := range s.items {
		if strings.EqualFold(it.Name, idOrName) {
			return it, nil
		}
	}
	return economy.Item{}, fmt.Errorf("economytest: item %q: %w", idOrName, economy.ErrNotFound)
}

// AddItem implements economy.Store.
func (s *Store) AddItem(_ context.Context, _ string, it *economy.Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.items {
		if strings.EqualFold(x.Name, it.Name) {
			return fmt.Errorf("economytest: %w: %s exists", economy.ErrConflict, it.Name)
		}
	}
	s.nextID++
	it.ID = s.nextID
	s.items[it.ID] = *it
	return nil
}

// UpdateItem implements economy.Store.
func (s *Store) UpdateItem(_ context.Context, _ string, it economy.Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.items[it.ID]; !ok {
		return fmt.Errorf("economytest: item %d: %w", it.ID, economy.ErrNotFound)
	}
	s.items[it.ID] = it
	return nil
}

// RemoveItem implements economy.Store.
func (s *Store) RemoveItem(_ context.Context, _ string, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.items[id]; !ok {
		return fmt.Errorf("economytest: item %d: %w", id, economy.ErrNotFound)
	}
	delete(s.items, id)
	return nil
}

// Buy implements economy.Store: debit and order at once, keyed by key.
func (s *Store) Buy(_ context.Context, guildID, account string, itemID, serviceID int64, key string) (economy.Order, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byKey[key]; ok {
		return s.orders[id-1], false, nil
	}
	it, ok := s.items[itemID]
	if !ok {
		return economy.Order{}, false, fmt.Errorf("economytest: item %d: %w", itemID, economy.ErrNotFound)
	}
	id := int64(len(s.orders) + 1)
	if _, err := s.postLocked(guildID, account, -it.Price, "purchase", "order "+strconv.FormatInt(id, 10), "purchase:"+strconv.FormatInt(id, 10), ""); err != nil {
		return economy.Order{}, false, err
	}
	state := economy.StatePending
	if it.Kind == economy.KindDesk {
		state = economy.StateOpen
	}
	o := economy.Order{ID: id, Account: account, ItemName: it.Name, Price: it.Price, ServiceID: serviceID, State: state, CreatedAt: s.now()}
	s.orders = append(s.orders, o)
	s.byKey[key] = id
	return o, true, nil
}

// Orders implements economy.Store.
func (s *Store) Orders(_ context.Context, _ string, account string, states []string, limit, offset int) ([]economy.Order, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []economy.Order
	for i := len(s.orders) - 1; i >= 0; i-- {
		o := s.orders[i]
		if (account == "" || o.Account == account) && (len(states) == 0 || slices.Contains(states, o.State)) {
			out = append(out, o)
		}
	}
	return page(out, limit, offset), len(out), nil
}

// Order implements economy.Store.
func (s *Store) Order(_ context.Context, _ string, id int64) (economy.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id <= 0 || id > int64(len(s.orders)) {
		return economy.Order{}, fmt.Errorf("economytest: order %d: %w", id, economy.ErrNotFound)
	}
	return s.orders[id-1], nil
}

func (s *Store) transitionLocked(id int64, from []string, to, note, actor string) (economy.Order, error) {
	if id <= 0 || id > int64(len(s.orders)) {
		return economy.Order{}, fmt.Errorf("economytest: order %d: %w", id, economy.ErrNotFound)
	}
	o := &s.orders[id-1]
	if !slices.Contains(from, o.State) {
		return *o, fmt.Errorf("economytest: %w: order %d is %s", economy.ErrState, id, o.State)
	}
	o.State, o.Note = to, note
	if actor != "" {
		o.HandledBy = actor
	}
	return *o, nil
}

// Transition implements economy.Store.
func (s *Store) Transition(_ context.Context, _ string, id int64, from []string, to, note, actor string) (economy.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transitionLocked(id, from, to, note, actor)
}

// Refund implements economy.Store: the transition and the credit at once,
// the credit keyed by the order.
func (s *Store) Refund(_ context.Context, guildID string, id int64, from []string, to, note, actor string) (economy.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.transitionLocked(id, from, to, note, actor)
	if err != nil {
		return o, err
	}
	_, err = s.postLocked(guildID, o.Account, o.Price, "refund", "order "+strconv.FormatInt(id, 10), "refund:"+strconv.FormatInt(id, 10), actor)
	return o, err
}
