package bottest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/blissark/bliss/bots"
)

// record is a list that goroutines append to and tests read.
type record[T any] struct {
	mu  sync.Mutex
	got []T
}

func (r *record[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, v)
}

func (r *record[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// Audits records audit entries (a bots.Auditor's store).
type Audits struct{ entries record[bots.AuditEntry] }

// Audit records e.
func (a *Audits) Audit(_ context.Context, e bots.AuditEntry) error {
	a.entries.add(e)
	return nil
}

// Entries are the entries recorded so far, oldest first.
func (a *Audits) Entries() []bots.AuditEntry { return a.entries.all() }

// Actions are the recorded entries as "action target ok=bool" lines.
func (a *Audits) Actions() []string {
	var out []string
	for _, e := range a.Entries() {
		out = append(out, fmt.Sprintf("%s %s ok=%v", e.Action, e.Target, e.OK))
	}
	return out
}

// Incidents records raised and cleared incidents (a bots.Incidents).
type Incidents struct {
	raised record[bots.Incident]
	clears record[string]
}

// Raise records in.
func (r *Incidents) Raise(_ context.Context, in bots.Incident) error {
	r.raised.add(in)
	return nil
}

// Clear records "guildID dedupeKey".
func (r *Incidents) Clear(_ context.Context, guildID, dedupeKey, _ string) error {
	r.clears.add(guildID + " " + dedupeKey)
	return nil
}

// Raised are the incidents raised so far, oldest first.
func (r *Incidents) Raised() []bots.Incident { return r.raised.all() }

// Kinds are the raised incidents' kinds, oldest first.
func (r *Incidents) Kinds() []string {
	var out []string
	for _, in := range r.Raised() {
		out = append(out, in.Kind)
	}
	return out
}

// Clears are the clears so far as "guildID dedupeKey", oldest first.
func (r *Incidents) Clears() []string { return r.clears.all() }
