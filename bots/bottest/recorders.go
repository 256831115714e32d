package bottest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/blissark/bliss/bots"
)

// Audits records audit entries (a bots.Auditor's store).
type Audits struct {
	mu  sync.Mutex
	got []bots.AuditEntry
}

// Audit records e.
func (a *Audits) Audit(_ context.Context, e bots.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, e)
	return nil
}

// Entries are the entries recorded so far, oldest first.
func (a *Audits) Entries() []bots.AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.got)
}

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
	mu     sync.Mutex
	raised []bots.Incident
	clears []string
}

// Raise records in.
func (r *Incidents) Raise(_ context.Context, in bots.Incident) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.raised = append(r.raised, in)
	return nil
}

// Clear records "guildID dedupeKey".
func (r *Incidents) Clear(_ context.Context, guildID, dedupeKey, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clears = append(r.clears, guildID+" "+dedupeKey)
	return nil
}

// Raised are the incidents raised so far, oldest first.
func (r *Incidents) Raised() []bots.Incident {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.raised)
}

// Kinds are the raised incidents' kinds, oldest first.
func (r *Incidents) Kinds() []string {
	var out []string
	for _, in := range r.Raised() {
		out = append(out, in.Kind)
	}
	return out
}

// Clears are the clears so far as "guildID dedupeKey", oldest first.
func (r *Incidents) Clears() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.clears)
}
