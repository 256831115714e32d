package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
)

// failingCountdowns is a Countdowns whose store cannot be read.
type failingCountdowns struct{ Countdowns }

func (failingCountdowns) Next(context.Context, string, int64) (Pending, bool, error) {
	return Pending{}, false, errors.New("database is locked")
}

// TestNextRestartCombinations covers what the e2e test cannot provoke: a
// countdown store that fails, alone and together with Nitrado's schedule.
func TestNextRestartCombinations(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	b := &bot{Deps: Deps{Countdowns: failingCountdowns{}, Now: func() time.Time { return now }}}
	at := now.Add(time.Hour)
	ok := &tasksResult{tasks: []nitrado.Task{{ActionMethod: nitrado.TaskActionRestart, NextRun: at}}}
	none := &tasksResult{}
	denied := &tasksResult{err: fmt.Errorf("nitrado: service 1: tasks: %w", nitrado.ErrForbidden)}
	garbled := &tasksResult{err: fmt.Errorf("nitrado: service 1: tasks: %w", nitrado.ErrBadResponse)}
	const cd = "countdowns unknown (database is locked)"
	for _, tc := range []struct {
		name  string
		sched *tasksResult
		want  string
	}{
		{"not wired", nil, cd},
		{"nitrado task", ok, fmt.Sprintf("<t:%d:R> (Nitrado schedule) · %s", at.Unix(), cd)},
		{"no nitrado task", none, "none on Nitrado's schedule · " + cd},
		{"both fail", denied, cd + " · Nitrado schedule unavailable (token lacks the scheduled-restart read permission)"},
		{"garbled", garbled, cd + " · Nitrado schedule unavailable (Nitrado's answer could not be read)"},
	} {
		if got := b.nextRestart(context.Background(), "g", 1, tc.sched); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	// Without countdowns at all, only Nitrado's schedule counts.
	b.Countdowns = nil
	if got := b.nextRestart(context.Background(), "g", 1, ok); got != fmt.Sprintf("<t:%d:R> (Nitrado schedule)", at.Unix()) {
		t.Errorf("no countdowns: %q", got)
	}
	if got := b.nextRestart(context.Background(), "g", 1, denied); got != "no countdown · Nitrado schedule unavailable (token lacks the scheduled-restart read permission)" {
		t.Errorf("no countdowns, denied: %q", got)
	}
}
