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
//
// An order waiting for an offline buyer is delivered when the buyer joins:
// Waiting lists the buyers the job waits for, Wake makes their orders due
// now (app calls it when the live feed records the player online), and the
// next Tick delivers; the recheck every OfflineRecheck stays as the
// fallback. A delivered order is announced to the player in game with a
// private message (ServerChatToPlayer, or ServerChatTo by EOS id when the
// name cannot be quoted safely); that message is a courtesy, its failure
// changes nothing.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
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
	// Wake makes those of the rows that are still pending due now (the
	// buyer joined) and returns their ids.
	Wake(ctx context.Context, outboxIDs []int64) ([]int64, error)
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

	mu      sync.Mutex
	waiting map[int64]waiter // outbox id → the offline buyer it waits for
}

// waiter is an order postponed because its buyer was offline.
type waiter struct {
	eos     string  // lower-case
	servers []int64 // where it can be delivered
	woken   time.Time
}

// minWake spaces wake-ups of one order: a player the feed sees online but
// ListPlayers does not is not asked for more than this often.
const minWake = 20 * time.Second

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
	return &Job{store: store, rcon: r, inc: inc, o: o, waiting: map[int64]waiter{}}
}

// Waiting returns the EOS ids (lower-case) of the buyers whose orders wait
// for them to come online, with the servers each could receive them on.
func (j *Job) Waiting() map[string][]int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := map[string][]int64{}
	for _, w := range j.waiting {
		for _, s := range w.servers {
			if !slices.Contains(out[w.eos], s) {
				out[w.eos] = append(out[w.eos], s)
			}
		}
	}
	return out
}

// Wake makes the orders waiting for the given players due now; online maps
// a lower-case EOS id to the servers the player is on. It returns how many
// orders became due (0: nothing to do, no Tick needed).
func (j *Job) Wake(ctx context.Context, online map[string][]int64) (int, error) {
	now := j.o.Now()
	var ids []int64
	j.mu.Lock()
	for id, w := range j.waiting {
		on := online[w.eos]
		if len(on) == 0 || now.Sub(w.woken) < minWake {
			continue
		}
		if !slices.ContainsFunc(on, func(s int64) bool { return slices.Contains(w.servers, s) }) {
			continue
		}
		w.woken = now
		j.waiting[id] = w
		ids = append(ids, id)
	}
	j.mu.Unlock()
	if len(ids) == 0 {
		return 0, nil
	}
	slices.Sort(ids)
	woken, err := j.store.Wake(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("delivery: wake: %w", err)
	}
	j.mu.Lock()
	for _, id := range ids {
		if !slices.Contains(woken, id) { // delivered, refunded or resolved meanwhile
			delete(j.waiting, id)
		}
	}
	j.mu.Unlock()
	return len(woken), nil
}

func (j *Job) setWaiting(id int64, eos string, servers []int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if eos == "" {
		delete(j.waiting, id)
		return
	}
	w := j.waiting[id]
	w.eos, w.servers = strings.ToLower(eos), slices.Clone(servers)
	j.waiting[id] = w
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
	rosters := map[int64]map[string]string{} // per tick: one ListPlayers per server (EOS id → name)
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

func (j *Job) roster(ctx context.Context, svc int64, rosters map[int64]map[string]string) (map[string]string, error) {
	if r, ok := rosters[svc]; ok {
		return r, nil
	}
	out, err := j.rcon.Exec(ctx, svc, rcon.ListPlayers())
	if err != nil {
		return nil, err
	}
	ps, _ := rcon.ParsePlayers(out)
	r := map[string]string{}
	for _, p := range ps {
		r[strings.ToLower(p.EOSID)] = p.Name
	}
	rosters[svc] = r
	return r, nil
}

func (j *Job) one(ctx context.Context, it Item, rosters map[int64]map[string]string, st *Stats) error {
	postponed := false // the buyer is still offline: the row stays in waiting (keeping its last wake)
	defer func() {
		if !postponed {
			j.setWaiting(it.ID, "", nil)
		}
	}()
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
	var ingame string // the name ListPlayers shows
	answered := 0
	for _, svc := range servers {
		r, err := j.roster(ctx, svc, rosters)
		if err != nil {
			continue
		}
		answered++
		if name, ok := r[strings.ToLower(who.EOSID)]; ok {
			on, ingame = svc, name
			break
		}
	}
	if on == 0 {
		st.Waiting++
		note := "waiting for the player to be online"
		if answered == 0 {
			note = "no server answered ListPlayers"
		}
		postponed = true
		j.setWaiting(it.ID, who.EOSID, servers)
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
	if err := j.store.Delivered(ctx, p.OrderID, fmt.Sprintf("delivered on server %d: %s", on, clip(reply, 200))); err != nil {
		return err
	}
	j.tell(ctx, on, who.EOSID, ingame, fmt.Sprintf("Bliss: your order #%d (%s) was delivered.", p.OrderID, p.ItemName))
	return nil
}

// tell sends the player a private message in game; a failure is logged,
// never retried (the order is delivered either way).
func (j *Job) tell(ctx context.Context, svc int64, eos, name, msg string) {
	cmd, err := rcon.ServerChatToPlayer(name, msg)
	if err != nil { // a name that cannot be quoted safely: by EOS id
		cmd, err = rcon.ServerChatTo(eos, msg)
	}
	if err != nil {
		j.o.Logger.Warn("delivery message not built", "server", svc, "err", err)
		return
	}
	if _, err := j.rcon.Exec(ctx, svc, cmd); err != nil {
		j.o.Logger.Warn("delivery message not sent", "server", svc, "err", err)
	}
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
