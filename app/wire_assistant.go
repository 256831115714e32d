package app

import (
	"context"
	"fmt"

	"github.com/blissark/bliss/app/assistantstore"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/assistant"
)

// wireAssistant wires the Assistant bot (/timestamp, /timezone, /coords,
// /teleport) over SQLite: saved zones, the staff's teleport list, and the
// latest snapshot's bases and teleporters (filled by the parse pipeline).
func (a *appliance) wireAssistant(context.Context) error {
	st := assistantstore.New(a.db)
	r := assistant.New(assistant.Deps{Store: a.guilds, Zones: st, Teleports: st, World: st, Audit: a.audit()})
	if err := a.sup.Handle(bots.Assistant, r); err != nil {
		return fmt.Errorf("bots: %w", err)
	}
	return nil
}
