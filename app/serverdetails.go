package app

import (
	"time"

	"github.com/blissark/bliss/jobs/serverdetails"
	"github.com/blissark/bliss/storage/cache"
	"github.com/blissark/bliss/storage/state"
)

// staleStore is the bbolt state store as the server-details cache's
// StaleStore (same entries; the cache may not import storage).
type staleStore struct{ *state.Store }

func (s staleStore) Stale(kind, key string) (serverdetails.StaleEntry, bool, error) {
	e, ok, err := s.Store.Stale(kind, key)
	return serverdetails.StaleEntry(e), ok, err
}

func (s staleStore) StaleAll(kind string) ([]serverdetails.StaleEntry, error) {
	es, err := s.Store.StaleAll(kind)
	out := make([]serverdetails.StaleEntry, len(es))
	for i, e := range es {
		out[i] = serverdetails.StaleEntry(e)
	}
	return out, err
}

// newDetailsMem is the cache's in-memory TTL layer: storage/cache over
// ristretto.
func newDetailsMem(ttl time.Duration, onExpire func(int64, serverdetails.Details)) (serverdetails.MemCache, error) {
	return cache.New(cache.Options[int64, serverdetails.Details]{TTL: ttl, OnExpire: onExpire})
}
