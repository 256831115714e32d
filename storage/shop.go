package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Purchase refusals (besides ErrInsufficient and ErrNotFound).
var (
	ErrLimit    = errors.New("purchase limit reached")
	ErrCooldown = errors.New("item on cooldown")
	ErrState    = errors.New("order is not in a state that allows this")
)

// Shop item kinds.
const (
	ItemGive    = "item"    // GiveItemToPlayer
	ItemDino    = "dino"    // a spawn command template
	ItemCommand = "command" // any RCON command template
	ItemDesk    = "desk"    // fulfilled by staff at the order desk
)

// Order states.
const (
	OrderPending     = "pending"     // waiting for delivery (player offline, retrying)
	OrderSending     = "sending"     // the command is being sent right now
	OrderDelivered   = "delivered"   // the command succeeded
	OrderUnconfirmed = "unconfirmed" // sent, the reply proved nothing; staff resolve
	OrderRefunded    = "refunded"
	OrderOpen        = "open"     // desk: waiting for staff
	OrderAccepted    = "accepted" // desk: a staff member took it
	OrderFulfilled   = "fulfilled"
	OrderRefused     = "refused" // desk: refused and refunded
)

// DeliveryKind is the outbox kind of shop deliveries.
const DeliveryKind = "delivery"

// ShopItem is one catalogue entry.
type ShopItem struct {
	ID           int64
	GuildID      string
	Currency     Currency
	Name         string
	Description  string
	Price        int64
	Kind         string // ItemGive, ItemDino, ItemCommand, ItemDesk
	Blueprint    string
	Quantity     int
	Quality      int
	AsBlueprint  bool
	Command      string // dino spawn / command template with {eos} {player_id} {name}
	MaxPerPlayer int    // 0: no limit
	Cooldown     time.Duration
	Servers      []int64 // service ids where it is sold; empty: all
	Active       bool
	CreatedAt    time.Time
}

func checkItem(it *ShopItem) error {
	switch {
	case it.GuildID == "" || !it.Currency.Valid():
		return fmt.Errorf("%w: shop item needs a guild and a currency", ErrInvalid)
	case it.Name == "" || len(it.Name) > 100:
		return fmt.Errorf("%w: shop item name must be 1-100 bytes", ErrInvalid)
	case it.Price <= 0 || it.Price > 1e9:
		return fmt.Errorf("%w: price must be 1..1000000000", ErrInvalid)
	case len(it.Description) > 1000 || len(it.Command) > 1000 || len(it.Blueprint) > 300:
		return fmt.Errorf("%w: shop item text too long", ErrInvalid)
	case it.MaxPerPlayer < 0 || it.Cooldown < 0:
		return fmt.Errorf("%w: negative limit or cooldown", ErrInvalid)
	}
	switch it.Kind {
	case ItemGive, ItemDino, ItemCommand, ItemDesk:
	default:
		return fmt.Errorf("%w: shop item kind %q", ErrInvalid, it.Kind)
	}
	return nil
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

func splitIDs(s string) []int64 {
	var out []int64
	for _, p := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// SoldOn reports whether the item is sold on server serviceID.
func (it ShopItem) SoldOn(serviceID int64) bool {
	return len(it.Servers) == 0 || slices.Contains(it.Servers, serviceID)
}

const itemCols = `id, guild_id, currency, name, description, price, kind, blueprint, quantity, quality, as_bp, command,
	max_per, cooldown, servers, active, created_at`

func scanItem(r rowScanner) (ShopItem, error) {
	var it ShopItem
	var cur, servers string
	var asbp, active int
	var cd, at int64
	if err := r.Scan(&it.ID, &it.GuildID, &cur, &it.Name, &it.Description, &it.Price, &it.Kind, &it.Blueprint,
		&it.Quantity, &it.Quality, &asbp, &it.Command, &it.MaxPerPlayer, &cd, &servers, &active, &at); err != nil {
		return ShopItem{}, err
	}
	it.Currency, it.AsBlueprint, it.Active = Currency(cur), asbp == 1, active == 1
	it.Cooldown, it.Servers, it.CreatedAt = time.Duration(cd), splitIDs(servers), time.Unix(0, at).UTC()
	return it, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ShopAdd adds an item; a name already in the guild's catalogue of that
// currency is ErrConflict. It sets it.ID.
func (db *DB) ShopAdd(ctx context.Context, it *ShopItem) error {
	if err := checkItem(it); err != nil {
		return err
	}
	it.CreatedAt = db.now().UTC()
	res, err := db.db.ExecContext(ctx, `INSERT INTO shop_items (guild_id, currency, name, description, price, kind,
	blueprint, quantity, quality, as_bp, command, max_per, cooldown, servers, active, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`, it.GuildID, string(it.Currency), it.Name, it.Description,
		it.Price, it.Kind, it.Blueprint, it.Quantity, it.Quality, b2i(it.AsBlueprint), it.Command, it.MaxPerPlayer,
		int64(it.Cooldown), joinIDs(it.Servers), it.CreatedAt.UnixNano())
	if err != nil {
		return wrap("shop add "+it.Name, err)
	}
	it.ID, _ = res.LastInsertId()
	it.Active = true
	return nil
}

// ShopUpdate rewrites an item (matched by ID, guild and currency). Orders
// already placed keep the item as it was when bought.
func (db *DB) ShopUpdate(ctx context.Context, it ShopItem) error {
	if err := checkItem(&it); err != nil {
		return err
	}
	res, err := db.db.ExecContext(ctx, `UPDATE shop_items SET name = ?, description = ?, price = ?, kind = ?, blueprint = ?,
	quantity = ?, quality = ?, as_bp = ?, command = ?, max_per = ?, cooldown = ?, servers = ?, active = ?
	WHERE id = ? AND guild_id = ? AND currency = ?`, it.Name, it.Description, it.Price, it.Kind, it.Blueprint,
		it.Quantity, it.Quality, b2i(it.AsBlueprint), it.Command, it.MaxPerPlayer, int64(it.Cooldown), joinIDs(it.Servers),
		b2i(it.Active), it.ID, it.GuildID, string(it.Currency))
	if err != nil {
		return wrap("shop update "+it.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: shop item %d: %w", it.ID, ErrNotFound)
	}
	return nil
}

// ShopRemove deletes an item. Orders keep their copy of it.
func (db *DB) ShopRemove(ctx context.Context, guildID string, cur Currency, id int64) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM shop_items WHERE id = ? AND guild_id = ? AND currency = ?`, id, guildID, string(cur))
	if err != nil {
		return wrap("shop remove", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: shop item %d: %w", id, ErrNotFound)
	}
	return nil
}

// ShopItems lists a guild's catalogue of one currency by price, name.
func (db *DB) ShopItems(ctx context.Context, guildID string, cur Currency) ([]ShopItem, error) {
	const op = "shop items"
	rows, err := db.db.QueryContext(ctx, `SELECT `+itemCols+` FROM shop_items WHERE guild_id = ? AND currency = ?
	ORDER BY price, name`, guildID, string(cur))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []ShopItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, it)
	}
	return out, wrap2(op, rows.Err())
}

// ShopItem returns one item by id or (case-insensitive) name.
func (db *DB) ShopItem(ctx context.Context, guildID string, cur Currency, idOrName string) (ShopItem, error) {
	q := `SELECT ` + itemCols + ` FROM shop_items WHERE guild_id = ? AND currency = ? AND name = ?`
	arg := any(idOrName)
	if id, err := strconv.ParseInt(idOrName, 10, 64); err == nil {
		q = `SELECT ` + itemCols + ` FROM shop_items WHERE guild_id = ? AND currency = ? AND (id = ? OR name = ?)`
		arg = id
	}
	args := []any{guildID, string(cur), arg}
	if _, ok := arg.(int64); ok {
		args = append(args, idOrName)
	}
	it, err := scanItem(db.db.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return ShopItem{}, fmt.Errorf("storage: shop item %q: %w", idOrName, ErrNotFound)
	}
	if err != nil {
		return ShopItem{}, wrap("shop item", err)
	}
	return it, nil
}

// Order is one purchase.
type Order struct {
	ID        int64
	GuildID   string
	Currency  Currency
	Account   string
	ItemID    int64
	ItemName  string
	Price     int64
	ServiceID int64 // requested server, 0 any
	State     string
	Key       string
	OutboxID  int64
	Failures  int
	Note      string
	HandledBy string
	DeskMsg   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DeliveryPayload is the outbox payload of an RCON delivery: the order and
// the item as it was bought.
type DeliveryPayload struct {
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

const orderCols = `id, guild_id, currency, account, item_id, item_name, price, service_id, state, key,
	coalesce((SELECT x.id FROM outbox x WHERE x.key = 'delivery:' || orders.id), 0), failures,
	note, handled_by, desk_msg, created_at, updated_at`

func scanOrder(r rowScanner) (Order, error) {
	var o Order
	var cur string
	var c, u int64
	if err := r.Scan(&o.ID, &o.GuildID, &cur, &o.Account, &o.ItemID, &o.ItemName, &o.Price, &o.ServiceID, &o.State,
		&o.Key, &o.OutboxID, &o.Failures, &o.Note, &o.HandledBy, &o.DeskMsg, &c, &u); err != nil {
		return Order{}, err
	}
	o.Currency, o.CreatedAt, o.UpdatedAt = Currency(cur), time.Unix(0, c).UTC(), time.Unix(0, u).UTC()
	return o, nil
}

// PurchaseRequest is one /ap buy or /gp order.
type PurchaseRequest struct {
	GuildID   string
	Currency  Currency
	Account   string
	ItemID    int64
	ServiceID int64  // requested server; 0 any server the item is sold on
	Key       string // idempotency key of the click (e.g. the interaction id)
}

// Purchase debits the price, records the order and, for items delivered
// over RCON, its delivery outbox row, all in one transaction: either the
// player paid and the delivery is queued, or nothing happened. The same Key
// again returns the first order with created=false. Refusals:
// ErrNotFound (no such item), ErrInsufficient, ErrLimit, ErrCooldown.
func (db *DB) Purchase(ctx context.Context, p PurchaseRequest) (o Order, created bool, err error) {
	if p.Key == "" || p.Account == "" || len(p.Key) > 200 {
		return Order{}, false, fmt.Errorf("storage: purchase: %w: needs a key and an account", ErrInvalid)
	}
	err = db.inTxClean(ctx, "purchase", func(tx txn) error {
		o, created, err = purchaseTx(ctx, tx, p, db.now())
		return err
	})
	return o, created, err
}

func purchaseTx(ctx context.Context, tx txn, p PurchaseRequest, now time.Time) (Order, bool, error) {
	key := "order:" + p.GuildID + ":" + p.Key
	it, err := tx.item(ctx, p.GuildID, p.Currency, p.ItemID) // read once per grouped transaction
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !it.Active) {
		return Order{}, false, fmt.Errorf("shop item %d: %w", p.ItemID, ErrNotFound)
	}
	if err != nil {
		return Order{}, false, err
	}
	if p.ServiceID != 0 && !it.SoldOn(p.ServiceID) {
		return Order{}, false, fmt.Errorf("%w: %s is not sold on server %d", ErrInvalid, it.Name, p.ServiceID)
	}
	if it.MaxPerPlayer > 0 || it.Cooldown > 0 {
		// The same click again must find its order, not hit the limit.
		if o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE key = ?`, key)); err == nil {
			return o, false, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return Order{}, false, err
		}
		var n int
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT count(*), max(created_at) FROM orders
		WHERE guild_id = ? AND account = ? AND item_id = ? AND state NOT IN ('refunded', 'refused')`,
			p.GuildID, p.Account, it.ID).Scan(&n, &last); err != nil {
			return Order{}, false, err
		}
		if it.MaxPerPlayer > 0 && n >= it.MaxPerPlayer {
			return Order{}, false, fmt.Errorf("%w: at most %d of %s per player", ErrLimit, it.MaxPerPlayer, it.Name)
		}
		if it.Cooldown > 0 && last.Valid {
			if until := time.Unix(0, last.Int64).Add(it.Cooldown); now.Before(until) {
				return Order{}, false, fmt.Errorf("%w: %s can be bought again at %s", ErrCooldown, it.Name, until.UTC().Format(time.RFC3339))
			}
		}
	}
	state := OrderPending
	if it.Kind == ItemDesk {
		state = OrderOpen
	}
	ts := now.UnixNano()
	// Debit first, so that every refusal below writes nothing (the group
	// commit then needs no savepoint for a purchase: see inTxClean).
	res, err := tx.ExecContext(ctx, `UPDATE balances SET balance = balance - ?1, updated_at = ?2
	WHERE guild_id = ?3 AND kind = ?4 AND account = ?5 AND balance >= ?1`, it.Price, ts, p.GuildID, string(p.Currency), p.Account)
	if err != nil {
		return Order{}, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// A retry of a click that bought already is not refused.
		if o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE key = ?`, key)); err == nil {
			return o, false, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return Order{}, false, err
		}
		return Order{}, false, ErrInsufficient
	}
	res, err = tx.ExecContext(ctx, `INSERT INTO orders (guild_id, currency, account, item_id, item_name, price, service_id,
	state, key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		p.GuildID, string(p.Currency), p.Account, it.ID, it.Name, it.Price, p.ServiceID, state, key, ts, ts)
	if err != nil {
		return Order{}, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 { // the same click again: undo the debit above
		if _, err := tx.ExecContext(ctx, `UPDATE balances SET balance = balance + ? WHERE guild_id = ? AND kind = ? AND account = ?`,
			it.Price, p.GuildID, string(p.Currency), p.Account); err != nil {
			return Order{}, false, err
		}
		o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE key = ?`, key))
		return o, false, err
	}
	id, _ := res.LastInsertId()
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger (guild_id, account, kind, amount, reason, reference, key, actor, created_at)
	VALUES (?, ?, ?, ?, 'purchase', ?, ?, '', ?)`, p.GuildID, p.Account, string(p.Currency), -it.Price,
		capText("order "+strconv.FormatInt(id, 10)+": "+it.Name, 200), "purchase:"+strconv.FormatInt(id, 10), ts); err != nil {
		return Order{}, false, err
	}
	o := Order{ID: id, GuildID: p.GuildID, Currency: p.Currency, Account: p.Account, ItemID: it.ID, ItemName: it.Name,
		Price: it.Price, ServiceID: p.ServiceID, State: state, Key: key, CreatedAt: time.Unix(0, ts).UTC(), UpdatedAt: time.Unix(0, ts).UTC()}
	if it.Kind != ItemDesk {
		servers := it.Servers
		if p.ServiceID != 0 {
			servers = []int64{p.ServiceID}
		}
		payload, err := json.Marshal(DeliveryPayload{OrderID: id, Currency: string(p.Currency), Account: p.Account, ItemName: it.Name, Kind: it.Kind,
			Blueprint: it.Blueprint, Quantity: it.Quantity, Quality: it.Quality, AsBlueprint: it.AsBlueprint,
			Command: it.Command, Servers: servers})
		if err != nil {
			return Order{}, false, err
		}
		oid, _, err := outboxAddTx(ctx, tx, OutboxItem{Kind: DeliveryKind, Key: "delivery:" + strconv.FormatInt(id, 10),
			GuildID: p.GuildID, ServiceID: p.ServiceID, Target: p.Account, Payload: payload}, now)
		if err != nil {
			// Not a refusal (%v drops the sentinel): the debit and the order
			// are written already, so the transaction must roll back.
			return Order{}, false, fmt.Errorf("delivery row: %v", err)
		}
		o.OutboxID = oid
	}
	return o, true, nil
}

// GetOrder returns one order, or ErrNotFound.
func (db *DB) GetOrder(ctx context.Context, id int64) (Order, error) {
	o, err := scanOrder(db.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, fmt.Errorf("storage: order %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Order{}, wrap("order", err)
	}
	return o, nil
}

// OrderFilter selects orders for listing.
type OrderFilter struct {
	GuildID  string
	Currency Currency // "" any
	Account  string   // "" any
	States   []string // empty any
}

// Orders lists orders newest first, and how many match in all.
func (db *DB) Orders(ctx context.Context, f OrderFilter, limit, offset int) ([]Order, int, error) {
	const op = "orders"
	where := `guild_id = ?`
	args := []any{f.GuildID}
	if f.Currency != "" {
		where += ` AND currency = ?`
		args = append(args, string(f.Currency))
	}
	if f.Account != "" {
		where += ` AND account = ?`
		args = append(args, f.Account)
	}
	if len(f.States) > 0 {
		where += ` AND state IN (` + placeholders(len(f.States)) + `)`
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM orders WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, wrap(op, err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+orderCols+` FROM orders WHERE `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(args, clampLimit(limit), max(offset, 0))...)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, 0, wrap(op, err)
		}
		out = append(out, o)
	}
	return out, total, wrap2(op, rows.Err())
}

// outboxStateFor is the outbox state that goes with an order state.
func outboxStateFor(state string) OutboxState {
	switch state {
	case OrderDelivered:
		return OutboxDone
	case OrderUnconfirmed:
		return OutboxUnconfirmed
	case OrderRefunded:
		return OutboxFailed
	case OrderPending:
		return OutboxPending
	}
	return ""
}

// OrderTransition moves an order from one of the states in from to to, with
// a note and the staff member (or "" for the appliance) who did it, and
// moves its delivery outbox row along (delivered → done, unconfirmed →
// unconfirmed, pending → pending again for a resend). An order in another
// state is ErrState, so of two concurrent clicks exactly one wins.
func (db *DB) OrderTransition(ctx context.Context, id int64, from []string, to, note, actor string) (o Order, err error) {
	err = db.inTx(ctx, "order "+to, func(tx txn) error {
		o, err = transitionTx(ctx, tx, id, from, to, note, actor, db.now())
		return err
	})
	return o, err
}

func transitionTx(ctx context.Context, tx txn, id int64, from []string, to, note, actor string, now time.Time) (Order, error) {
	o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, fmt.Errorf("order %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Order{}, err
	}
	if !slices.Contains(from, o.State) {
		return o, fmt.Errorf("%w: order %d is %s", ErrState, id, o.State)
	}
	ts := now.UnixNano()
	handled := o.HandledBy
	if actor != "" {
		handled = actor
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = ?, note = ?, handled_by = ?, updated_at = ? WHERE id = ?`,
		to, capText(note, 500), handled, ts, id); err != nil {
		return Order{}, err
	}
	if st := outboxStateFor(to); st != "" && o.OutboxID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, next_at = 0, last_error = ?, updated_at = ? WHERE id = ?`,
			string(st), capText(note, 1000), ts, o.OutboxID); err != nil {
			return Order{}, err
		}
	}
	o.State, o.Note, o.HandledBy, o.UpdatedAt = to, note, handled, time.Unix(0, ts).UTC()
	return o, nil
}

// RefundOrder moves an order from one of the states in from to to
// (OrderRefunded or OrderRefused) and credits the price back, in one
// transaction. The credit's key is the order's, so an order is refunded
// at most once however often this is called.
func (db *DB) RefundOrder(ctx context.Context, id int64, from []string, to, note, actor string) (o Order, err error) {
	if to != OrderRefunded && to != OrderRefused {
		return Order{}, fmt.Errorf("storage: refund order: %w: state %q", ErrInvalid, to)
	}
	err = db.inTx(ctx, "refund order", func(tx txn) error {
		now := db.now()
		o, err = transitionTx(ctx, tx, id, from, to, note, actor, now)
		if err != nil {
			return err
		}
		_, _, err = postTx(ctx, tx, LedgerEntry{GuildID: o.GuildID, Account: o.Account, Kind: o.Currency, Amount: o.Price,
			Reason: "refund", Reference: fmt.Sprintf("order %d: %s", o.ID, capText(note, 100)),
			Key: "refund:" + strconv.FormatInt(o.ID, 10), Actor: actor}, now)
		return err
	})
	return o, err
}

// OrderFailed counts a failed delivery attempt and returns the order with
// its new failure count; the order goes back to pending.
func (db *DB) OrderFailed(ctx context.Context, id int64, note string) (o Order, err error) {
	err = db.inTx(ctx, "order failed", func(tx txn) error {
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET failures = failures + 1, state = 'pending', note = ?, updated_at = ?
		WHERE id = ? AND state IN ('pending', 'sending')`, capText(note, 500), db.now().UnixNano(), id); err != nil {
			return err
		}
		o, err = scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE id = ?`, id))
		return err
	})
	return o, err
}

// RecoverSending marks orders left in "sending" by a crash as unconfirmed
// (the command may or may not have reached the server: never resend it
// blindly), and returns them. Call it once when the delivery loop starts.
func (db *DB) RecoverSending(ctx context.Context) ([]Order, error) {
	var out []Order
	err := db.inTx(ctx, "recover sending", func(tx txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM orders WHERE state = 'sending'`)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			o, err := transitionTx(ctx, tx, id, []string{OrderSending}, OrderUnconfirmed,
				"interrupted while sending: check in game, then mark delivered or refund", "", db.now())
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// SetDeskMessage records where an order's desk post is ("channel:message").
func (db *DB) SetDeskMessage(ctx context.Context, id int64, ref string) error {
	if _, err := db.db.ExecContext(ctx, `UPDATE orders SET desk_msg = ? WHERE id = ?`, ref, id); err != nil {
		return wrap("order desk message", err)
	}
	return nil
}

// WakeDeliveries makes those of the delivery outbox rows ids that are
// still pending due now (their buyer came online) and returns their ids.
func (db *DB) WakeDeliveries(ctx context.Context, ids []int64) ([]int64, error) {
	const op = "wake deliveries"
	if len(ids) == 0 {
		return nil, nil
	}
	j, err := json.Marshal(ids)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := db.db.QueryContext(ctx, `UPDATE outbox SET next_at = 0, updated_at = ?
	WHERE kind = ? AND state = 'pending' AND id IN (SELECT value FROM json_each(?)) RETURNING id`,
		db.now().UnixNano(), DeliveryKind, string(j))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, id)
	}
	return out, wrap2(op, rows.Err())
}

// OnlineAmong returns, for those of the players eosIDs (lower-case) who
// have an open play session (the live feed saw them join or listed them
// and has not seen them leave), the servers they are on.
func (db *DB) OnlineAmong(ctx context.Context, eosIDs []string) (map[string][]int64, error) {
	const op = "online among"
	out := map[string][]int64{}
	if len(eosIDs) == 0 {
		return out, nil
	}
	j, err := json.Marshal(eosIDs)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT eos_id, service_id FROM sessions
	WHERE eos_id IN (SELECT value FROM json_each(?)) AND left_at IS NULL`, string(j))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var eos string
		var svc int64
		if err := rows.Scan(&eos, &svc); err != nil {
			return nil, wrap(op, err)
		}
		out[eos] = append(out[eos], svc)
	}
	return out, wrap2(op, rows.Err())
}
