package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Currency is a point kind of the one ledger: Activity Points or Guardian
// Points.
type Currency string

// The two point kinds.
const (
	AP Currency = "ap"
	GP Currency = "gp"
)

// Valid reports whether c is a known point kind.
func (c Currency) Valid() bool { return c == AP || c == GP }

// ErrInsufficient is returned when a debit would take a balance below zero.
var ErrInsufficient = errors.New("insufficient balance")

// LedgerEntry is one append-only ledger row. Amount is positive for credits
// (awards, refunds, donations, staff gives) and negative for debits.
type LedgerEntry struct {
	ID        int64
	GuildID   string
	Account   string // Discord user id
	Kind      Currency
	Amount    int64
	Reason    string // award, purchase, refund, give, take, donation
	Reference string // order id, boost, period, staff note
	Key       string // idempotency key, unique across the ledger
	Actor     string // staff Discord id, "" for the appliance
	At        time.Time
}

func checkEntry(e LedgerEntry) error {
	switch {
	case e.GuildID == "" || e.Account == "":
		return fmt.Errorf("%w: ledger entry needs a guild and an account", ErrInvalid)
	case !e.Kind.Valid():
		return fmt.Errorf("%w: ledger kind %q", ErrInvalid, e.Kind)
	case e.Amount == 0:
		return fmt.Errorf("%w: ledger amount is zero", ErrInvalid)
	case e.Amount > 1e12 || e.Amount < -1e12:
		return fmt.Errorf("%w: ledger amount %d out of range", ErrInvalid, e.Amount)
	case e.Key == "" || len(e.Key) > 512:
		return fmt.Errorf("%w: ledger key must be 1-512 bytes", ErrInvalid)
	case e.Reason == "" || len(e.Reason) > 32:
		return fmt.Errorf("%w: ledger reason must be 1-32 bytes", ErrInvalid)
	}
	return nil
}

const ledgerCols = `id, guild_id, account, kind, amount, reason, reference, key, actor, created_at`

func scanEntry(r rowScanner) (LedgerEntry, error) {
	var e LedgerEntry
	var kind string
	var at int64
	if err := r.Scan(&e.ID, &e.GuildID, &e.Account, &kind, &e.Amount, &e.Reason, &e.Reference, &e.Key, &e.Actor, &at); err != nil {
		return LedgerEntry{}, err
	}
	e.Kind, e.At = Currency(kind), time.Unix(0, at).UTC()
	return e, nil
}

// postTx appends e inside tx: a duplicate key returns the existing entry
// and created=false (an entry with the same key but another account, kind
// or amount is ErrConflict); a debit that would take the balance below zero
// is ErrInsufficient. The cached balance is updated in the same
// transaction. The transaction must be IMMEDIATE (the DSN makes every
// BeginTx one), so the balance check and the write see the same state.
func postTx(ctx context.Context, tx execer, e LedgerEntry, now time.Time) (LedgerEntry, bool, error) {
	if err := checkEntry(e); err != nil {
		return LedgerEntry{}, false, err
	}
	ts := now.UnixNano()
	if e.Amount < 0 {
		res, err := tx.ExecContext(ctx, `UPDATE balances SET balance = balance + ?1, updated_at = ?2
		WHERE guild_id = ?3 AND kind = ?4 AND account = ?5 AND balance + ?1 >= 0`,
			e.Amount, ts, e.GuildID, string(e.Kind), e.Account)
		if err != nil {
			return LedgerEntry{}, false, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// A retry of a debit that went through is not a new debit.
			if have, ok, err := existingEntry(ctx, tx, e); ok || err != nil {
				return have, false, err
			}
			return LedgerEntry{}, false, ErrInsufficient
		}
	} else {
		if _, err := tx.ExecContext(ctx, `INSERT INTO balances (guild_id, kind, account, balance, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, kind, account)
		DO UPDATE SET balance = balance + excluded.balance, updated_at = excluded.updated_at`,
			e.GuildID, string(e.Kind), e.Account, e.Amount, ts); err != nil {
			return LedgerEntry{}, false, err
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO ledger (guild_id, account, kind, amount, reason, reference, key, actor, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`, e.GuildID, e.Account, string(e.Kind), e.Amount, e.Reason,
		capText(e.Reference, 200), e.Key, capText(e.Actor, 64), ts)
	if err != nil {
		return LedgerEntry{}, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// The key is taken: undo the balance change made above (same
		// transaction) and return the first entry.
		if _, err := tx.ExecContext(ctx, `UPDATE balances SET balance = balance - ? WHERE guild_id = ? AND kind = ? AND account = ?`,
			e.Amount, e.GuildID, string(e.Kind), e.Account); err != nil {
			return LedgerEntry{}, false, err
		}
		have, _, err := existingEntry(ctx, tx, e)
		return have, false, err
	}
	e.ID, _ = res.LastInsertId()
	e.At = time.Unix(0, ts).UTC()
	return e, true, nil
}

// existingEntry returns the entry already recorded under e.Key: ok=false
// when there is none, ErrConflict when it is another entry.
func existingEntry(ctx context.Context, tx execer, e LedgerEntry) (LedgerEntry, bool, error) {
	have, err := scanEntry(tx.QueryRowContext(ctx, `SELECT `+ledgerCols+` FROM ledger WHERE key = ?`, e.Key))
	if errors.Is(err, sql.ErrNoRows) {
		return LedgerEntry{}, false, nil
	}
	if err != nil {
		return LedgerEntry{}, false, err
	}
	if have.GuildID != e.GuildID || have.Account != e.Account || have.Kind != e.Kind || have.Amount != e.Amount {
		return have, true, fmt.Errorf("%w: ledger key %q already used for another entry", ErrConflict, e.Key)
	}
	return have, true, nil
}

// inTx runs fn in an IMMEDIATE transaction (grouped with concurrent
// callers' inside savepoints, see groupCommit): its writes commit when it
// returns nil and are rolled back when it returns an error.
func (db *DB) inTx(ctx context.Context, op string, fn func(tx txn) error) error {
	return wrapTx(op, db.gc.do(ctx, db.db, fn, false))
}

// inTxClean is inTx for a fn that writes nothing before returning a
// refusal (an error wrapping one of the package's sentinels): it runs in
// the group without a savepoint. Any other error aborts the group, whose
// requests then run again one transaction each.
func (db *DB) inTxClean(ctx context.Context, op string, fn func(tx txn) error) error {
	return wrapTx(op, db.gc.do(ctx, db.db, fn, true))
}

// refusal reports errors that are answers, not failures.
func refusal(err error) bool {
	return errors.Is(err, ErrInsufficient) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) ||
		errors.Is(err, ErrConflict) || errors.Is(err, ErrState) || errors.Is(err, ErrLimit) || errors.Is(err, ErrCooldown) ||
		errors.Is(err, ErrExpired)
}

func wrapTx(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case refusal(err):
		return fmt.Errorf("storage: %s: %w", op, err)
	}
	return wrap(op, err)
}

func (db *DB) now() time.Time {
	if db.Now != nil {
		return db.Now()
	}
	return time.Now()
}

// LedgerPost appends one entry (see LedgerEntry). Posting the same Key
// again returns the first entry with created=false, so a retry is
// harmless. A debit that would take the balance below zero fails with
// ErrInsufficient and writes nothing.
func (db *DB) LedgerPost(ctx context.Context, e LedgerEntry) (out LedgerEntry, created bool, err error) {
	err = db.inTx(ctx, "ledger post "+e.Reason, func(tx txn) error {
		out, created, err = postTx(ctx, tx, e, db.now())
		return err
	})
	return out, created, err
}

// Balance returns an account's cached balance (0 for an unknown account).
func (db *DB) Balance(ctx context.Context, guildID string, kind Currency, account string) (int64, error) {
	var b int64
	err := db.db.QueryRowContext(ctx, `SELECT balance FROM balances WHERE guild_id = ? AND kind = ? AND account = ?`,
		guildID, string(kind), account).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("balance", err)
	}
	return b, nil
}

// LedgerHistory returns an account's entries newest first, and how many
// there are in all.
func (db *DB) LedgerHistory(ctx context.Context, guildID string, kind Currency, account string, limit, offset int) ([]LedgerEntry, int, error) {
	const op = "ledger history"
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM ledger WHERE guild_id = ? AND kind = ? AND account = ?`,
		guildID, string(kind), account).Scan(&total); err != nil {
		return nil, 0, wrap(op, err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+ledgerCols+` FROM ledger WHERE guild_id = ? AND kind = ? AND account = ?
	ORDER BY id DESC LIMIT ? OFFSET ?`, guildID, string(kind), account, clampLimit(limit), max(offset, 0))
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	defer rows.Close()
	var out []LedgerEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, 0, wrap(op, err)
		}
		out = append(out, e)
	}
	return out, total, wrap2(op, rows.Err())
}

// LedgerByKey returns the entry recorded under key, or ErrNotFound.
func (db *DB) LedgerByKey(ctx context.Context, key string) (LedgerEntry, error) {
	e, err := scanEntry(db.db.QueryRowContext(ctx, `SELECT `+ledgerCols+` FROM ledger WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return LedgerEntry{}, fmt.Errorf("storage: ledger key %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return LedgerEntry{}, wrap("ledger key", err)
	}
	return e, nil
}

func clampLimit(n int) int {
	if n <= 0 || n > 1000 {
		return 1000
	}
	return n
}

// Standing is one leaderboard row.
type Standing struct {
	Account string
	Points  int64
}

// Leaderboard ranks accounts by balance (since zero) or by points earned
// since a time (positive entries only, so spending does not lower a
// weekly rank). It returns one page and the number of ranked accounts.
func (db *DB) Leaderboard(ctx context.Context, guildID string, kind Currency, since time.Time, limit, offset int) ([]Standing, int, error) {
	const op = "leaderboard"
	var countQ, q string
	args := []any{guildID, string(kind)}
	if since.IsZero() {
		countQ = `SELECT count(*) FROM balances WHERE guild_id = ? AND kind = ? AND balance > 0`
		q = `SELECT account, balance FROM balances WHERE guild_id = ? AND kind = ? AND balance > 0
		ORDER BY balance DESC, account LIMIT ? OFFSET ?`
	} else {
		args = append(args, since.UnixNano())
		countQ = `SELECT count(DISTINCT account) FROM ledger WHERE guild_id = ? AND kind = ? AND created_at >= ? AND amount > 0`
		q = `SELECT account, sum(amount) AS s FROM ledger WHERE guild_id = ? AND kind = ? AND created_at >= ? AND amount > 0
		GROUP BY account ORDER BY s DESC, account LIMIT ? OFFSET ?`
	}
	var total int
	if err := db.db.QueryRowContext(ctx, countQ, args...).Scan(&total); err != nil {
		return nil, 0, wrap(op, err)
	}
	rows, err := db.db.QueryContext(ctx, q, append(args, clampLimit(limit), max(offset, 0))...)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	defer rows.Close()
	var out []Standing
	for rows.Next() {
		var s Standing
		if err := rows.Scan(&s.Account, &s.Points); err != nil {
			return nil, 0, wrap(op, err)
		}
		out = append(out, s)
	}
	return out, total, wrap2(op, rows.Err())
}

// LedgerAudit recomputes every balance from the ledger and returns the
// accounts whose cached balance differs ("guild/kind/account: cached X,
// ledger Y"). Empty means consistent.
func (db *DB) LedgerAudit(ctx context.Context) ([]string, error) {
	const op = "ledger audit"
	rows, err := db.db.QueryContext(ctx, `SELECT g, k, a, coalesce(c, 0), coalesce(l, 0) FROM (
		SELECT b.guild_id g, b.kind k, b.account a, b.balance c,
		  (SELECT sum(amount) FROM ledger x WHERE x.guild_id = b.guild_id AND x.kind = b.kind AND x.account = b.account) l
		FROM balances b
		UNION ALL
		SELECT guild_id, kind, account, NULL, sum(amount) FROM ledger x
		WHERE NOT EXISTS (SELECT 1 FROM balances b WHERE b.guild_id = x.guild_id AND b.kind = x.kind AND b.account = x.account)
		GROUP BY guild_id, kind, account) WHERE coalesce(c, 0) <> coalesce(l, 0)`)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g, k, a string
		var c, l int64
		if err := rows.Scan(&g, &k, &a, &c, &l); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, fmt.Sprintf("%s/%s/%s: cached %d, ledger %d", g, k, a, c, l))
	}
	return out, wrap2(op, rows.Err())
}

// Award is one play-time award for an account and period.
type Award struct {
	GuildID string
	Account string
	Day     string // UTC day of the period, "2006-01-02": the daily cap's bucket
	Points  int64  // before the cap
	Key     string // names the (account, period) pair
	Ref     string // period in words, for history
}

// AwardBatch credits awards as AP in one transaction. Each award is capped
// so that the account's awards on its Day stay within dailyCap (≤ 0: no
// cap), reading and writing the per-day totals in the same transaction. A
// key already in the ledger awards nothing again. It returns the entries
// created and the points credited. It writes in bulk (a handful of
// statements per guild, whatever the number of awards).
func (db *DB) AwardBatch(ctx context.Context, awards []Award, dailyCap int64) (created int, points int64, err error) {
	byGuild := map[string][]Award{}
	var guilds []string
	for _, a := range awards {
		if a.GuildID == "" || a.Account == "" || a.Key == "" || a.Points <= 0 {
			continue
		}
		if byGuild[a.GuildID] == nil {
			guilds = append(guilds, a.GuildID)
		}
		byGuild[a.GuildID] = append(byGuild[a.GuildID], a)
	}
	err = db.inTx(ctx, "award batch", func(tx txn) error {
		created, points = 0, 0
		now := db.now().UnixNano()
		for _, g := range guilds {
			n, p, err := awardGuildTx(ctx, tx, g, byGuild[g], dailyCap, now)
			if err != nil {
				return err
			}
			created += n
			points += p
		}
		return nil
	})
	return created, points, err
}

// awardGuildTx writes a guild's awards with a constant number of short
// statements whatever the number of awards: each statement reads its rows
// from one JSON parameter (json_each). A multi-row VALUES list was measured
// slower: its parse grows with the rows and modernc binds parameters in
// quadratic time.
func awardGuildTx(ctx context.Context, tx txn, guildID string, as []Award, dailyCap int64, now int64) (int, int64, error) {
	// Keys already awarded (a re-run) are dropped first, so they do not
	// count against the cap twice.
	keys := make([]string, len(as))
	for i, a := range as {
		keys[i] = a.Key
	}
	have := map[string]bool{}
	if err := queryStrings(ctx, tx, `SELECT key FROM ledger WHERE key IN (SELECT value FROM json_each(?))`, keys, func(k string) {
		have[k] = true
	}); err != nil {
		return 0, 0, err
	}
	type dayKey struct{ account, day string }
	dayTotal := map[dayKey]int64{}
	if dailyCap > 0 {
		days := map[string]bool{}
		var dl []string
		for _, a := range as {
			if !days[a.Day] {
				days[a.Day] = true
				dl = append(dl, a.Day)
			}
		}
		dj, err := json.Marshal(dl)
		if err != nil {
			return 0, 0, err
		}
		rows, err := tx.QueryContext(ctx, `SELECT account, day, points FROM award_days WHERE guild_id = ?
		AND day IN (SELECT value FROM json_each(?))`, guildID, string(dj))
		if err != nil {
			return 0, 0, err
		}
		for rows.Next() {
			var k dayKey
			var p int64
			if err := rows.Scan(&k.account, &k.day, &p); err != nil {
				rows.Close()
				return 0, 0, err
			}
			dayTotal[k] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, 0, err
		}
	}
	type ledgerRow struct {
		A string `json:"a"`
		P int64  `json:"p"`
		R string `json:"r"`
		K string `json:"k"`
	}
	type dayRow struct {
		A string `json:"a"`
		D string `json:"d"`
		P int64  `json:"p"`
	}
	type balRow struct {
		A string `json:"a"`
		P int64  `json:"p"`
	}
	var lrows []ledgerRow
	perAcct := map[string]int64{}
	var accts []string
	perDay := map[dayKey]int64{}
	var dks []dayKey
	var total int64
	seen := map[string]bool{}
	for _, a := range as {
		if have[a.Key] || seen[a.Key] {
			continue
		}
		seen[a.Key] = true
		k := dayKey{a.Account, a.Day}
		if dailyCap > 0 {
			a.Points = min(a.Points, dailyCap-dayTotal[k])
		}
		if a.Points <= 0 {
			continue
		}
		dayTotal[k] += a.Points
		lrows = append(lrows, ledgerRow{A: a.Account, P: a.Points, R: capText(a.Ref, 200), K: a.Key})
		if _, ok := perAcct[a.Account]; !ok {
			accts = append(accts, a.Account)
		}
		perAcct[a.Account] += a.Points
		if _, ok := perDay[k]; !ok {
			dks = append(dks, k)
		}
		perDay[k] += a.Points
		total += a.Points
	}
	if len(lrows) == 0 {
		return 0, 0, nil
	}
	brows := make([]balRow, len(accts))
	for i, a := range accts {
		brows[i] = balRow{A: a, P: perAcct[a]}
	}
	drows := make([]dayRow, len(dks))
	for i, k := range dks {
		drows[i] = dayRow{A: k.account, D: k.day, P: perDay[k]}
	}
	lj, err := json.Marshal(lrows)
	if err != nil {
		return 0, 0, err
	}
	bj, err := json.Marshal(brows)
	if err != nil {
		return 0, 0, err
	}
	dj, err := json.Marshal(drows)
	if err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger (guild_id, account, kind, amount, reason, reference, key, actor, created_at)
	SELECT ?1, j.value ->> 'a', 'ap', j.value ->> 'p', 'award', j.value ->> 'r', j.value ->> 'k', '', ?2
	FROM json_each(?3) j ORDER BY j.key`, guildID, now, string(lj)); err != nil {
		return 0, 0, err
	}
	// "WHERE true" keeps SQLite from reading ON CONFLICT as a join clause.
	if _, err := tx.ExecContext(ctx, `INSERT INTO balances (guild_id, kind, account, balance, updated_at)
	SELECT ?1, 'ap', j.value ->> 'a', j.value ->> 'p', ?2 FROM json_each(?3) j WHERE true
	ON CONFLICT (guild_id, kind, account) DO UPDATE SET balance = balance + excluded.balance, updated_at = excluded.updated_at`,
		guildID, now, string(bj)); err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO award_days (guild_id, account, day, points)
	SELECT ?1, j.value ->> 'a', j.value ->> 'd', j.value ->> 'p' FROM json_each(?2) j WHERE true
	ON CONFLICT (guild_id, account, day) DO UPDATE SET points = points + excluded.points`, guildID, string(dj)); err != nil {
		return 0, 0, err
	}
	return len(lrows), total, nil
}

// queryStrings runs q with vals as one JSON array parameter and calls fn
// with each string the query returns.
func queryStrings(ctx context.Context, tx txn, q string, vals []string, fn func(string)) error {
	j, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, q, string(j))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}

// AwardDays returns, per account, the UTC days on or after sinceDay on
// which it was awarded points ("2006-01-02" → points).
func (db *DB) AwardDays(ctx context.Context, guildID, sinceDay string) (map[string]map[string]int64, error) {
	const op = "award days"
	rows, err := db.db.QueryContext(ctx, `SELECT account, day, points FROM award_days WHERE guild_id = ? AND day >= ?`, guildID, sinceDay)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := map[string]map[string]int64{}
	for rows.Next() {
		var a, d string
		var p int64
		if err := rows.Scan(&a, &d, &p); err != nil {
			return nil, wrap(op, err)
		}
		if out[a] == nil {
			out[a] = map[string]int64{}
		}
		out[a][d] = p
	}
	return out, wrap2(op, rows.Err())
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
