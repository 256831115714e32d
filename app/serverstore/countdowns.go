package serverstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/blissark/bliss/bots/embed"
	"github.com/blissark/bliss/jobs/countdown"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/state"
)

// Countdowns implements countdown.Store over the bbolt state file (design
// §5: job state lives there). Each countdown is stored as the runner's own
// JSON while it is active and deleted when it ends.
type Countdowns struct{ State *state.Store }

var _ countdown.Store = Countdowns{}

// Text fields are capped (the bot caps reasons already; a result carries
// error text from Nitrado or RCON).
const (
	capShort = 200
	capLong  = 1000
)

func capText(s string, n int) string { return embed.Truncate(s, n) }

func active(c countdown.Countdown) bool {
	return c.State == countdown.StatePending || c.State == countdown.StateRunning
}

func decode(id int64, v []byte) (countdown.Countdown, error) {
	var c countdown.Countdown
	if err := json.Unmarshal(v, &c); err != nil {
		return c, fmt.Errorf("countdown %d: %w", id, err)
	}
	c.ID = id
	return c, nil
}

// AddCountdown implements countdown.Store.
func (s Countdowns) AddCountdown(_ context.Context, c countdown.Countdown) (int64, error) {
	if c.GuildID == "" || len(c.Servers) == 0 {
		return 0, errors.New("add countdown: guild and servers are required")
	}
	c.Reason, c.Actor = capText(c.Reason, capShort), capText(c.Actor, capShort)
	return s.State.AddCountdown(func(id int64) ([]byte, error) {
		c.ID = id
		return json.Marshal(c)
	})
}

// ActiveCountdowns implements countdown.Store: soonest first.
func (s Countdowns) ActiveCountdowns(context.Context) ([]countdown.Countdown, error) {
	es, err := s.State.Countdowns()
	if err != nil {
		return nil, err
	}
	out := make([]countdown.Countdown, 0, len(es))
	for _, e := range es {
		c, err := decode(e.ID, e.Value)
		if err != nil {
			return nil, err
		}
		if active(c) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b countdown.Countdown) int {
		if n := a.FireAt.Compare(b.FireAt); n != 0 {
			return n
		}
		return int(a.ID - b.ID)
	})
	return out, nil
}

// UpdateCountdown implements countdown.Store: the progress fields of c are
// written while the stored countdown is active; one that reaches a final
// state is deleted. False when it was not active (cancelled meanwhile).
func (s Countdowns) UpdateCountdown(_ context.Context, c countdown.Countdown) (bool, error) {
	ok := false
	_, err := s.State.UpdateCountdown(c.ID, func(old []byte) ([]byte, state.CountdownChange, error) {
		have, err := decode(c.ID, old)
		if err != nil {
			return nil, state.CountdownKeep, err
		}
		if !active(have) {
			return nil, state.CountdownKeep, nil
		}
		ok = true
		if !active(c) {
			return nil, state.CountdownDelete, nil
		}
		have.Step, have.Sent, have.FireAt, have.Warned, have.State = c.Step, c.Sent, c.FireAt, c.Warned, c.State
		have.Result = capText(c.Result, capLong)
		v, err := json.Marshal(have)
		return v, state.CountdownWrite, err
	})
	return ok, err
}

// CancelCountdown implements countdown.Store: an active countdown of
// guildID is deleted. Another guild's id is never touched.
func (s Countdowns) CancelCountdown(_ context.Context, guildID string, id int64, _ string) (bool, error) {
	ok := false
	_, err := s.State.UpdateCountdown(id, func(old []byte) ([]byte, state.CountdownChange, error) {
		have, err := decode(id, old)
		if err != nil {
			return nil, state.CountdownKeep, err
		}
		if have.GuildID != guildID || !active(have) {
			return nil, state.CountdownKeep, nil
		}
		ok = true
		return nil, state.CountdownDelete, nil
	})
	return ok, err
}

// SetCountdownMessage implements countdown.Store.
func (s Countdowns) SetCountdownMessage(_ context.Context, guildID string, id int64, messageID string) error {
	_, err := s.State.UpdateCountdown(id, func(old []byte) ([]byte, state.CountdownChange, error) {
		have, err := decode(id, old)
		if err != nil || have.GuildID != guildID {
			return nil, state.CountdownKeep, err
		}
		have.MessageID = capText(messageID, capShort)
		v, err := json.Marshal(have)
		return v, state.CountdownWrite, err
	})
	return err
}

// GetCountdown implements countdown.Store; a countdown that ended is gone.
func (s Countdowns) GetCountdown(_ context.Context, id int64) (countdown.Countdown, error) {
	v, ok, err := s.State.Countdown(id)
	if err != nil {
		return countdown.Countdown{}, err
	}
	if !ok {
		return countdown.Countdown{}, fmt.Errorf("countdown %d: %w", id, storage.ErrNotFound)
	}
	return decode(id, v)
}

// MoveCountdowns moves the active countdowns an older release kept in
// SQLite into the state file, keeping their ids (Cancel buttons name
// them), then deletes them from SQLite. Both steps are idempotent, so a
// crash in between moves them again at the next start; it runs before the
// countdown runner starts, so no progress is overwritten.
func MoveCountdowns(ctx context.Context, db *storage.DB, st *state.Store) (int, error) {
	cs, maxID, err := db.LegacyCountdowns(ctx)
	if err != nil {
		return 0, err
	}
	if err := st.ReserveCountdownIDs(maxID); err != nil {
		return 0, err
	}
	ids := make([]int64, 0, len(cs))
	for _, c := range cs {
		v, err := json.Marshal(countdown.Countdown{ID: c.ID, GuildID: c.GuildID, Action: c.Action, Servers: c.Servers,
			Step: c.Step, Sent: c.Sent, Reason: c.Reason, ActorID: c.ActorID, Actor: c.Actor, ChannelID: c.ChannelID,
			MessageID: c.MessageID, FireAt: c.FireAt, Warned: c.Warned, State: c.State, Result: c.Result})
		if err != nil {
			return 0, err
		}
		if err := st.PutCountdown(c.ID, v); err != nil {
			return 0, err
		}
		ids = append(ids, c.ID)
	}
	if err := db.DeleteLegacyCountdowns(ctx, ids); err != nil {
		return 0, err
	}
	return len(ids), nil
}
