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

// DonationKind is the outbox kind of donation log posts: one row per new
// boost (key "donation:<service>:<boost id>") and one per first-run import
// summary (key "donation-import:<service>"), committed with the boosts.
const DonationKind = "donation"

// DonationPost is the payload of a donation outbox row: the boost to
// announce, or (Summary) the import of a service's history.
type DonationPost struct {
	ServiceID int64  `json:"service_id"`
	BoostID   int64  `json:"boost_id,omitempty"`
	Username  string `json:"username,omitempty"` // the donor's spelling (boosts keep it lower-cased)
	Summary   bool   `json:"summary,omitempty"`
}

// BoostSummary asks RecordBoosts to queue one import summary post for a
// service (the page that finishes its first-run import).
type BoostSummary struct {
	GuildID   string
	ServiceID int64
}

// Boost is one Nitrado boost (donation) as recorded.
type Boost struct {
	ID          int64 // row id
	ServiceID   int64
	BoostID     int64 // Nitrado id; negative hash of (username, boosted_at) when absent
	GuildID     string
	Username    string // lower-cased Nitrado account
	ExtendedFor time.Duration
	AmountRaw   string // as Nitrado wrote it ("$1.00")
	Cents       int64  // parsed amount in hundredths, 0 when unparseable
	Currency    string // "USD", "EUR", "" unknown
	Message     string
	BoostedAt   time.Time
	Flags       []string // why it is suspect ("amount", "extended_for", "username", "boosted_at")
	GP          int64    // GP it is worth
	Credited    bool
	Imported    bool // recorded by a first-run import, not announced
}

const boostCols = `id, service_id, boost_id, guild_id, username, extended_s, amount_raw, cents, currency, message,
	boosted_at, flags, gp, credited, imported`

func scanBoost(r rowScanner) (Boost, error) {
	var b Boost
	var ext, at int64
	var flags string
	var cr, im int
	if err := r.Scan(&b.ID, &b.ServiceID, &b.BoostID, &b.GuildID, &b.Username, &ext, &b.AmountRaw, &b.Cents, &b.Currency,
		&b.Message, &at, &flags, &b.GP, &cr, &im); err != nil {
		return Boost{}, err
	}
	b.ExtendedFor = time.Duration(ext) * time.Second
	if at != 0 {
		b.BoostedAt = time.Unix(0, at).UTC()
	}
	if flags != "" {
		b.Flags = strings.Split(flags, ",")
	}
	b.Credited, b.Imported = cr == 1, im == 1
	return b, nil
}

// RecordBoosts records boosts read from one service's history (each once per
// (service, boost id): a re-read or a reordered history adds nothing),
// credits the new ones whose donor is linked, queues a donation log post
// (outbox, DonationKind) for each new boost not Imported and, when summary
// is set, one import summary post, and sets the cursor, all in one
// transaction: a crash leaves either the boosts and their posts to make, or
// neither. It returns the boosts that were new, as recorded.
func (db *DB) RecordBoosts(ctx context.Context, cursorKey, cursorValue string, boosts []Boost, summary *BoostSummary) (created []Boost, err error) {
	err = db.inTx(ctx, "record boosts", func(tx txn) error {
		created = created[:0]
		now := db.now()
		for _, b := range boosts {
			b.Username = strings.TrimSpace(b.Username)
			user := strings.ToLower(b.Username) // stored and matched lower-case; b keeps the donor's spelling
			var at int64
			if !b.BoostedAt.IsZero() {
				at = b.BoostedAt.UnixNano()
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO boosts (service_id, boost_id, guild_id, username, extended_s, amount_raw,
			cents, currency, message, boosted_at, flags, gp, imported, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (service_id, boost_id) DO NOTHING`, b.ServiceID, b.BoostID, b.GuildID, capText(user, 100),
				int64(b.ExtendedFor/time.Second), capText(b.AmountRaw, 50), b.Cents, b.Currency, capText(b.Message, 500), at,
				strings.Join(b.Flags, ","), b.GP, b2i(b.Imported), now.UnixNano())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			b.ID, _ = res.LastInsertId()
			if b.GP > 0 && user != "" {
				var discordID string
				err := tx.QueryRowContext(ctx, `SELECT discord_id FROM donor_links WHERE guild_id = ? AND username = ?`,
					b.GuildID, user).Scan(&discordID)
				if err == nil {
					if _, err := creditDonorTx(ctx, tx, b.GuildID, user, discordID, now); err != nil {
						return err
					}
					b.Credited = true
				}
			}
			if !b.Imported {
				if err := addDonationPost(ctx, tx, b.GuildID, fmt.Sprintf("donation:%d:%d", b.ServiceID, b.BoostID),
					DonationPost{ServiceID: b.ServiceID, BoostID: b.BoostID, Username: capText(b.Username, 100)}, now); err != nil {
					return err
				}
			}
			created = append(created, b)
		}
		if summary != nil {
			if err := addDonationPost(ctx, tx, summary.GuildID, fmt.Sprintf("donation-import:%d", summary.ServiceID),
				DonationPost{ServiceID: summary.ServiceID, Summary: true}, now); err != nil {
				return err
			}
		}
		if cursorKey != "" {
			return setCursorTx(ctx, tx, cursorKey, cursorValue, now)
		}
		return nil
	})
	return created, err
}

// BoostFilter selects recorded boosts.
type BoostFilter struct {
	GuildID   string
	Usernames []string  // empty: any donor
	From, To  time.Time // boosted_at range [From, To); zero: open
}

// Boosts lists boosts newest first, with the number and the sum of cents
// matching.
func (db *DB) Boosts(ctx context.Context, f BoostFilter, limit, offset int) (out []Boost, total int, cents int64, err error) {
	const op = "boosts"
	where := `guild_id = ?`
	args := []any{f.GuildID}
	if len(f.Usernames) > 0 {
		where += ` AND username IN (` + placeholders(len(f.Usernames)) + `)`
		for _, u := range f.Usernames {
			args = append(args, strings.ToLower(u))
		}
	}
	if !f.From.IsZero() {
		where += ` AND boosted_at >= ?`
		args = append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		where += ` AND boosted_at < ?`
		args = append(args, f.To.UnixNano())
	}
	if err := db.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(cents), 0) FROM boosts WHERE `+where, args...).Scan(&total, &cents); err != nil {
		return nil, 0, 0, wrap(op, err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+boostCols+` FROM boosts WHERE `+where+` ORDER BY boosted_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, clampLimit(limit), max(offset, 0))...)
	if err != nil {
		return nil, 0, 0, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBoost(rows)
		if err != nil {
			return nil, 0, 0, wrap(op, err)
		}
		out = append(out, b)
	}
	return out, total, cents, wrap2(op, rows.Err())
}

// BoostCount returns how many boosts of a service are recorded.
func (db *DB) BoostCount(ctx context.Context, serviceID int64) (int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM boosts WHERE service_id = ?`, serviceID).Scan(&n); err != nil {
		return 0, wrap(fmt.Sprintf("boost count %d", serviceID), err)
	}
	return n, nil
}

// BoostTotals counts a service's recorded boosts and sums their cents.
func (db *DB) BoostTotals(ctx context.Context, serviceID int64) (n int, cents int64, err error) {
	if err := db.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(cents), 0) FROM boosts WHERE service_id = ?`,
		serviceID).Scan(&n, &cents); err != nil {
		return 0, 0, wrap(fmt.Sprintf("boost totals %d", serviceID), err)
	}
	return n, cents, nil
}

func addDonationPost(ctx context.Context, tx txn, guildID, key string, p DonationPost, now time.Time) error {
	payload, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, _, err = outboxAddTx(ctx, tx, OutboxItem{Kind: DonationKind, Key: key, GuildID: guildID, ServiceID: p.ServiceID,
		Payload: payload}, now)
	if err != nil {
		return fmt.Errorf("donation post: %v", err) // not a refusal: the boosts must roll back with it
	}
	return nil
}

// BoostByID returns a recorded boost, or ErrNotFound.
func (db *DB) BoostByID(ctx context.Context, serviceID, boostID int64) (Boost, error) {
	b, err := scanBoost(db.db.QueryRowContext(ctx, `SELECT `+boostCols+` FROM boosts WHERE service_id = ? AND boost_id = ?`,
		serviceID, boostID))
	if errors.Is(err, sql.ErrNoRows) {
		return Boost{}, fmt.Errorf("storage: boost %d of %d: %w", boostID, serviceID, ErrNotFound)
	}
	if err != nil {
		return Boost{}, wrap("boost", err)
	}
	return b, nil
}
