// Package delivery performs shop orders over RCON from the outbox. An
// order's debit and its outbox row were committed together; this loop
// finds the buyer online (ListPlayers on the servers the item is sold on),
// sends the command, and marks the order delivered only when the reply
// shows success. Offline buyers' orders wait (not counted as failures).
// Failures are retried with backoff; past the retry budget the order is
// refunded (a ledger entry keyed by the order, so at most once) and an
// incident raised. A silent reply proves nothing, so the order becomes
// "sent, unconfirmed" for staff instead of being resent. Before sending,
// the order is marked "sending": a crash mid-send leaves it there, and the
// next start moves it to unconfirmed rather than sending it twice.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/blissark/bliss/app/rcon"
)

// Item is one due delivery outbox row.
type Item struct {
	ID        int64 // outbox row id
	GuildID   string
	ServiceID int64
	Payload   []byte
}

// Payload is the outbox payload (storage.DeliveryPayload's JSON).
type Payload struct {
	OrderID     int64   `json:"order_id"`
	Currency    string  `json:"currency"`
	Account     string  `json:"account"`
	ItemName    string  `json:"item"`
	Kind        string  `json:"kind"`
	Blueprint   string  `json:"blueprint,omitempty"`
	Quantity    int     `json:"quantity,omitempty"`
	Quality     int     `json:"quality,omitempty"`
	AsBlueprint bool    `json:"as_bp,omitempty"`
	Command     string  `json:"command,omitempty"`
	Servers     []int64 `json:"servers,omitempty"`
}

// Player is the buyer's linked identity.
type Player struct {
	EOSID    string
	PlayerID int64
	Name     string
}

// ErrState is returned by Store transitions when the order moved on (a
// staff member refunded it meanwhile).
var ErrState = errors.New("order state changed")

// Store is the outbox and orders; app wires it to storage.
type Store interface {
	Due(ctx context.Context, now time.Time, limit int) ([]Item, error)
	OrderState(ctx context.Context, orderID int64) (string, error)
	Player(ctx context.Context, guildID, account string) (Player, bool, error)
	Servers(ctx context.Context, guildID string) ([]int64, error)
	Retries(ctx context.Context, guildID string) int
	// Postpone leaves the row pending until next (not a failure).
	Postpone(ctx context.Context, outboxID int64, next time.Time, note string) error
	// Close ends a row whose order is no longer pending.
	Close(ctx context.Context, outboxID int64, note string) error
	Sending(ctx context.Context, orderID int64) error
	Delivered(ctx context.Context, orderID int64, note string) error
	Unconfirmed(ctx context.Context, orderID int64, note string) error
	// Failed counts a failure, puts the order back to pending and returns
	// the failure count.
	Failed(ctx context.Context, orderID int64, note string) (int, error)
	Refund(ctx context.Context, orderID int64, note string) error
	// Recover moves orders left in "sending" by a crash to unconfirmed.
	Recover(ctx context.Context) (int, error)
}

// RCON runs a command on a server.
type RCON interface {
	Exec(ctx context.Context, serviceID int64, cmd string) (string, error)
}

// Incidents raises problems for staff (app adapts bots.Incidents).
type Incidents interface {
	Raise(ctx context.Context, kind, guildID, subject string, serviceID int64, details, dedupeKey string, actions map[string]string) error
}

// Options tune the loop; zero values pick the defaults.
type Options struct {
	OfflineRecheck time.Duration // default 1m
	BaseBackoff    time.Duration // default 30s, doubled per failure, max 10m
	Logger         *slog.Logger
	Now            func() time.Time
}

// Job delivers orders. Run it from the scheduler (Tick) after Start.
type Job struct {
	store Store
	rcon  RCON
	inc   Incidents
	o     Options
}

// New returns a delivery job. inc may be nil.
func New(store Store, r RCON, inc Incidents, o Options) *Job {
	if o.OfflineRecheck <= 0 {
		o.OfflineRecheck = time.Minute
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Job{store: store, rcon: r, inc: inc, o: o}
}

// Start recovers orders interrupted mid-send by a crash. Call it once
// before the first Tick.
func (j *Job) Start(ctx context.Context) error {
	n, err := j.store.Recover(ctx)
	if err != nil {
		return fmt.Errorf("delivery: recover: %w", err)
	}
	if n > 0 {
		j.o.Logger.Warn("orders interrupted while sending marked unconfirmed", "orders", n)
	}
	return nil
}

// Stats counts one tick's outcomes.
type Stats struct {
	Delivered, Unconfirmed, Waiting, Failed, Refunded int
}

// Tick processes the due rows once.
func (j *Job) Tick(ctx context.Context) (Stats, error) {
	var st Stats
	items, err := j.store.Due(ctx, j.o.Now(), 50)
	if err != nil {
		return st, fmt.Errorf("delivery: due: %w", err)
	}
	rosters := map[int64]map[string]bool{} // per tick: one ListPlayers per server
	for _, it := range items {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		if err := j.one(ctx, it, rosters, &st); err != nil {
			j.o.Logger.Warn("delivery failed", "outbox", it.ID, "err", err)
		}
	}
	return st, nil
}

func (j *Job) roster(ctx context.Context, svc int64, rosters map[int64]map[string]bool) (map[string]bool, error) {
	if r, ok := rosters[svc]; ok {
		return r, nil
	}
	out, err := j.rcon.Exec(ctx, svc, rcon.ListPlayers())
	if err != nil {
		return nil, err
	}
	ps, _ := rcon.ParsePlayers(out)
	r := map[string]bool{}
	for _, p := range ps {
		r[p.EOSID] = true
	}
	rosters[svc] = r
	return r, nil
}

func (j *Job) one(ctx context.Context, it Item, rosters map[int64]map[string]bool, st *Stats) error {
	var p Payload
	if err := json.Unmarshal(it.Payload, &p); err != nil || p.OrderID <= 0 {
		return j.store.Close(ctx, it.ID, "unreadable delivery payload")
	}
	state, err := j.store.OrderState(ctx, p.OrderID)
	if err != nil {
		return err
	}
	if state != "pending" {
		return j.store.Close(ctx, it.ID, "order is "+state)
	}
	who, ok, err := j.store.Player(ctx, it.GuildID, p.Account)
	if err != nil {
		return err
	}
	if !ok {
		return j.fail(ctx, it, p, 0, "the buyer has no linked player", true, st)
	}
	servers := p.Servers
	if len(servers) == 0 {
		if servers, err = j.store.Servers(ctx, it.GuildID); err != nil {
			return err
		}
	}
	var on int64
	answered := 0
	for _, svc := range servers {
		r, err := j.roster(ctx, svc, rosters)
		if err != nil {
			continue
		}
		answered++
		if r[strings.ToLower(who.EOSID)] {
			on = svc
			break
		}
	}
	if on == 0 {
		st.Waiting++
		note := "waiting for the player to be online"
		if answered == 0 {
			note = "no server answered ListPlayers"
		}
		return j.store.Postpone(ctx, it.ID, j.o.Now().Add(j.o.OfflineRecheck), note)
	}
	cmd, err := Command(p, who)
	if err != nil {
		return j.fail(ctx, it, p, on, "cannot build the command: "+err.Error(), true, st)
	}
	if err := j.store.Sending(ctx, p.OrderID); err != nil {
		if errors.Is(err, ErrState) {
			return j.store.Close(ctx, it.ID, "order changed before sending")
		}
		return err
	}
	reply, err := j.rcon.Exec(ctx, on, cmd)
	switch {
	case err != nil:
		return j.fail(ctx, it, p, on, "rcon: "+err.Error(), false, st)
	case strings.TrimSpace(reply) == "":
		st.Unconfirmed++
		note := fmt.Sprintf("sent on server %d; the reply was silent, so delivery is unconfirmed", on)
		if err := j.store.Unconfirmed(ctx, p.OrderID, note); err != nil {
			return err
		}
		j.raise(ctx, "delivery_unconfirmed", it, p, on, note)
		return nil
	case looksFailed(reply):
		return j.fail(ctx, it, p, on, "server replied: "+clip(reply, 200), false, st)
	}
	st.Delivered++
	return j.store.Delivered(ctx, p.OrderID, fmt.Sprintf("delivered on server %d: %s", on, clip(reply, 200)))
}

// fail counts a failure; permanent failures and failures past the budget
// refund the order.
func (j *Job) fail(ctx context.Context, it Item, p Payload, on int64, why string, permanent bool, st *Stats) error {
	n, err := j.store.Failed(ctx, p.OrderID, why)
	if err != nil {
		if errors.Is(err, ErrState) {
			return j.store.Close(ctx, it.ID, "order changed: "+why)
		}
		return err
	}
	budget := max(j.store.Retries(ctx, it.GuildID), 1)
	if !permanent && n < budget {
		st.Failed++
		back := j.o.BaseBackoff << min(n-1, 5)
		back = min(back, 10*time.Minute)
		return j.store.Postpone(ctx, it.ID, j.o.Now().Add(back), why)
	}
	st.Refunded++
	note := fmt.Sprintf("refunded automatically after %d failed attempt(s): %s", n, why)
	if err := j.store.Refund(ctx, p.OrderID, note); err != nil {
		if errors.Is(err, ErrState) {
			return nil
		}
		return err
	}
	j.raise(ctx, "delivery_failed", it, p, on, note)
	return nil
}

func (j *Job) raise(ctx context.Context, kind string, it Item, p Payload, on int64, details string) {
	if j.inc == nil {
		return
	}
	actions := map[string]string{}
	if kind == "delivery_unconfirmed" {
		id := fmt.Sprint(p.OrderID)
		cur := p.Currency
		if cur == "" {
			cur = "ap"
		}
		actions["Mark delivered"] = cur + "adm:done:" + id
		actions["Refund"] = cur + "adm:refund:" + id
		actions["Resend"] = cur + "adm:resend:" + id
	}
	subject := fmt.Sprintf("order #%d %s for <@%s>", p.OrderID, p.ItemName, p.Account)
	if err := j.inc.Raise(ctx, kind, it.GuildID, subject, on, details, fmt.Sprintf("order:%d", p.OrderID), actions); err != nil {
		j.o.Logger.Warn("raise incident failed", "order", p.OrderID, "err", err)
	}
}

// Command builds the RCON command of a delivery.
func Command(p Payload, who Player) (string, error) {
	switch p.Kind {
	case "item":
		q := p.Quantity
		if q <= 0 {
			q = 1
		}
		return rcon.GiveItemToPlayer(who.PlayerID, p.Blueprint, q, p.Quality, p.AsBlueprint)
	case "dino", "command":
		return rcon.RenderTemplate(p.Command, rcon.TemplateVars{EOSID: who.EOSID, PlayerID: who.PlayerID, Name: who.Name})
	}
	return "", fmt.Errorf("delivery: kind %q is not delivered over RCON", p.Kind)
}

// looksFailed reports replies that say the command did not work.
func looksFailed(reply string) bool {
	r := strings.ToLower(reply)
	for _, w := range []string{"unknown command", "not found", "no player", "failed", "error", "invalid", "couldn't", "could not", "can't", "cannot"} {
		if strings.Contains(r, w) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
