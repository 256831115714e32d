// Package ticketstore adapts the SQLite storage to the Ticket bot's Store
// interface. App wires it; the Ticket bot's end-to-end tests use it too, so
// they run against the same SQLite code as production.
package ticketstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/blissark/bliss/bots/tickets"
	"github.com/blissark/bliss/storage"
)

// Store adapts storage to tickets.Store (the types mirror each other field
// for field, so values convert directly).
type Store struct{ db *storage.DB }

var _ tickets.Store = Store{}

// New returns the adapter over db.
func New(db *storage.DB) Store { return Store{db} }

func ticketErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrTicketLimit):
		return fmt.Errorf("%w: %w", tickets.ErrLimit, err)
	case errors.Is(err, storage.ErrTicketCooldown):
		return fmt.Errorf("%w: %w", tickets.ErrCooldown, err)
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%w: %w", tickets.ErrNotFound, err)
	case errors.Is(err, storage.ErrConflict):
		return fmt.Errorf("%w: %w", tickets.ErrConflict, err)
	}
	return err
}

func convList[T, U any](in []T, f func(T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func (s Store) Types(ctx context.Context, guildID string) ([]tickets.Type, error) {
	ts, err := s.db.TicketTypes(ctx, guildID)
	return convList(ts, func(t storage.TicketType) tickets.Type { return tickets.Type(t) }), ticketErr(err)
}
func (s Store) Type(ctx context.Context, guildID string, id int64) (tickets.Type, error) {
	t, err := s.db.TicketType(ctx, guildID, id)
	return tickets.Type(t), ticketErr(err)
}
func (s Store) AddType(ctx context.Context, t tickets.Type) (tickets.Type, error) {
	out, err := s.db.TicketTypeAdd(ctx, storage.TicketType(t))
	return tickets.Type(out), ticketErr(err)
}
func (s Store) UpdateType(ctx context.Context, t tickets.Type) error {
	return ticketErr(s.db.TicketTypeUpdate(ctx, storage.TicketType(t)))
}
func (s Store) DeleteType(ctx context.Context, guildID string, id int64) (bool, error) {
	ok, err := s.db.TicketTypeDelete(ctx, guildID, id)
	return ok, ticketErr(err)
}
func (s Store) AddPanel(ctx context.Context, p tickets.Panel) error {
	return ticketErr(s.db.TicketPanelAdd(ctx, storage.TicketPanel(p)))
}
func (s Store) RemovePanel(ctx context.Context, messageID string) error {
	return ticketErr(s.db.TicketPanelRemove(ctx, messageID))
}
func (s Store) Panels(ctx context.Context, guildID string) ([]tickets.Panel, error) {
	ps, err := s.db.TicketPanels(ctx, guildID)
	return convList(ps, func(p storage.TicketPanel) tickets.Panel { return tickets.Panel(p) }), ticketErr(err)
}
func (s Store) Reserve(ctx context.Context, t tickets.Ticket, userLimit, typeLimit int, cooldown time.Duration) (tickets.Ticket, error) {
	out, err := s.db.TicketReserve(ctx, storage.Ticket(t), userLimit, typeLimit, cooldown)
	return tickets.Ticket(out), ticketErr(err)
}
func (s Store) Opened(ctx context.Context, id int64, threadID, parentID string) error {
	return ticketErr(s.db.TicketOpened(ctx, id, threadID, parentID))
}
func (s Store) Discard(ctx context.Context, id int64) error {
	return ticketErr(s.db.TicketDiscard(ctx, id))
}
func (s Store) DiscardStale(ctx context.Context, before time.Time) (int, error) {
	n, err := s.db.TicketDiscardStale(ctx, before)
	return n, ticketErr(err)
}
func (s Store) Unclaim(ctx context.Context, id int64) (bool, error) {
	ok, err := s.db.TicketUnclaim(ctx, id)
	return ok, ticketErr(err)
}
func (s Store) ByID(ctx context.Context, id int64) (tickets.Ticket, error) {
	t, err := s.db.TicketByID(ctx, id)
	return tickets.Ticket(t), ticketErr(err)
}
func (s Store) ByThread(ctx context.Context, threadID string) (tickets.Ticket, error) {
	t, err := s.db.TicketByThread(ctx, threadID)
	return tickets.Ticket(t), ticketErr(err)
}
func (s Store) ByNumber(ctx context.Context, guildID string, number int64) (tickets.Ticket, error) {
	t, err := s.db.TicketByNumber(ctx, guildID, number)
	return tickets.Ticket(t), ticketErr(err)
}
func (s Store) Claim(ctx context.Context, id int64, staffID string) (bool, error) {
	ok, err := s.db.TicketClaim(ctx, id, staffID)
	return ok, ticketErr(err)
}
func (s Store) Close(ctx context.Context, id int64, by, reason string) (bool, error) {
	ok, err := s.db.TicketClose(ctx, id, by, reason)
	return ok, ticketErr(err)
}
func (s Store) Reopen(ctx context.Context, id int64, within time.Duration) (bool, error) {
	ok, err := s.db.TicketReopen(ctx, id, within)
	return ok, ticketErr(err)
}
func (s Store) Touch(ctx context.Context, id int64, at time.Time) error {
	return ticketErr(s.db.TicketTouch(ctx, id, at))
}
func (s Store) Warned(ctx context.Context, id int64) error {
	return ticketErr(s.db.TicketWarned(ctx, id))
}
func (s Store) OpenTickets(ctx context.Context) ([]tickets.Ticket, error) {
	ts, err := s.db.TicketsOpen(ctx)
	return convList(ts, func(t storage.Ticket) tickets.Ticket { return tickets.Ticket(t) }), ticketErr(err)
}
func (s Store) PutMessage(ctx context.Context, m tickets.Message) error {
	return ticketErr(s.db.TicketMessagePut(ctx, storage.TicketMessage(m)))
}
func (s Store) DeleteMessage(ctx context.Context, ticketID int64, messageID string) error {
	return ticketErr(s.db.TicketMessageDelete(ctx, ticketID, messageID))
}
func (s Store) Messages(ctx context.Context, ticketID int64) ([]tickets.Message, error) {
	ms, err := s.db.TicketMessages(ctx, ticketID)
	return convList(ms, func(m storage.TicketMessage) tickets.Message { return tickets.Message(m) }), ticketErr(err)
}
func (s Store) RaiseIncident(ctx context.Context, in tickets.IncidentRecord) (tickets.IncidentRecord, bool, error) {
	out, created, err := s.db.IncidentRaise(ctx, storage.Incident(in))
	return tickets.IncidentRecord(out), created, ticketErr(err)
}
func (s Store) SetIncidentTicket(ctx context.Context, id, ticketID int64) error {
	return ticketErr(s.db.IncidentSetTicket(ctx, id, ticketID))
}
func (s Store) ClearIncident(ctx context.Context, guildID, key, note string) (tickets.IncidentRecord, bool, error) {
	out, ok, err := s.db.IncidentClear(ctx, guildID, key, note)
	return tickets.IncidentRecord(out), ok, ticketErr(err)
}
func (s Store) IncidentsWithoutTicket(ctx context.Context) ([]tickets.IncidentRecord, error) {
	ins, err := s.db.IncidentsWithoutTicket(ctx)
	return convList(ins, func(i storage.Incident) tickets.IncidentRecord { return tickets.IncidentRecord(i) }), ticketErr(err)
}
func (s Store) IncidentByTicket(ctx context.Context, ticketID int64) (tickets.IncidentRecord, error) {
	in, err := s.db.IncidentByTicket(ctx, ticketID)
	return tickets.IncidentRecord(in), ticketErr(err)
}
func (s Store) AddTrigger(ctx context.Context, t tickets.Trigger) (tickets.Trigger, error) {
	out, err := s.db.TriggerAdd(ctx, storage.TicketTrigger(t))
	return tickets.Trigger(out), ticketErr(err)
}
func (s Store) RemoveTrigger(ctx context.Context, guildID string, id int64) (bool, error) {
	ok, err := s.db.TriggerRemove(ctx, guildID, id)
	return ok, ticketErr(err)
}
func (s Store) Triggers(ctx context.Context, guildID string) ([]tickets.Trigger, error) {
	ts, err := s.db.Triggers(ctx, guildID)
	return convList(ts, func(t storage.TicketTrigger) tickets.Trigger { return tickets.Trigger(t) }), ticketErr(err)
}
