package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/jobs/bases"
)

func Example() {
	ctx := context.Background()
	s := jobs.NewScheduler(jobs.Options{
		Logger:   slog.New(slog.DiscardHandler),
		Location: time.UTC,
	})
	parse := func(ctx context.Context) error {
		// download → arksave decode → analyze → store (omitted)
		save := &arksave.Save{Map: "TheIsland_WP"}
		fmt.Println("bases:", len(bases.Analyze(save, bases.Options{Multiplier: 2})))
		return nil
	}
	if err := s.AddParse(17000001, "", parse); err != nil {
		fmt.Println(err)
	}

	s.OnHealthChange(false) // Nitrado degraded
	err := s.Trigger(ctx, jobs.ParseJobName(17000001))
	fmt.Println("paused:", errors.Is(err, jobs.ErrPaused))

	s.OnHealthChange(true)
	if err := s.Trigger(ctx, jobs.ParseJobName(17000001)); err != nil {
		fmt.Println(err)
	}
	for _, st := range s.States() {
		fmt.Printf("%s runs=%d skips=%d last skip=%q\n", st.Name, st.Runs, st.Skips, st.LastSkip)
	}
	// Output:
	// paused: true
	// bases: 0
	// parse/17000001 runs=1 skips=1 last skip="paused: nitrado degraded"
}
