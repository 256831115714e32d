package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrExpired is returned for a link code past its expiry or already used.
var ErrExpired = errors.New("link code expired or used")

// Link ties a Discord account to an in-game identity in one guild.
type Link struct {
	GuildID   string
	DiscordID string
	EOSID     string // lower-case 32-hex
	Name      string // character or platform name at link time
	PlayerID  int64  // ARK's numeric id for GiveItemToPlayer; 0 unknown
	LinkedBy  string // "" self-verified by chat code, else the staff id
	LinkedAt  time.Time
}

// Link code purposes.
const (
	CodeGame    = "game"    // said in global chat
	CodeNitrado = "nitrado" // put in a boost message
)

// codeAlphabet has no look-alike characters (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newCode() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = codeAlphabet[int(c)%len(codeAlphabet)]
	}
	return "BL-" + string(out)
}

// NewLinkCode issues a one-time code for discordID (replacing the account's
// earlier unused codes of the same purpose), valid for ttl. subject is the
// Nitrado username for CodeNitrado.
func (db *DB) NewLinkCode(ctx context.Context, guildID, discordID, purpose, subject string, ttl time.Duration) (string, error) {
	if purpose != CodeGame && purpose != CodeNitrado {
		return "", fmt.Errorf("storage: link code: %w: purpose %q", ErrInvalid, purpose)
	}
	code := newCode()
	now := db.now()
	err := db.inTx(ctx, "link code", func(tx txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_codes WHERE guild_id = ? AND discord_id = ? AND purpose = ? AND used_at = 0`,
			guildID, discordID, purpose); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO link_codes (code, guild_id, discord_id, purpose, subject, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, code, guildID, discordID, purpose, strings.TrimSpace(subject), now.Add(ttl).UnixNano())
		return err
	})
	return code, err
}

// peekCodeTx returns the owner and subject of a valid code of purpose in
// guild without consuming it.
func peekCodeTx(ctx context.Context, tx txn, guildID, code, purpose string, now time.Time) (discordID, subject string, err error) {
	var exp, used int64
	err = tx.QueryRowContext(ctx, `SELECT discord_id, subject, expires_at, used_at FROM link_codes
	WHERE code = ? AND guild_id = ? AND purpose = ?`, code, guildID, purpose).Scan(&discordID, &subject, &exp, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("link code %s: %w", code, ErrNotFound)
	}
	if err != nil {
		return "", "", err
	}
	if used != 0 || now.UnixNano() > exp {
		return "", "", fmt.Errorf("link code %s: %w", code, ErrExpired)
	}
	return discordID, subject, nil
}

// takeCodeTx consumes a valid code of purpose in guild and returns its
// owner and subject.
func takeCodeTx(ctx context.Context, tx txn, guildID, code, purpose string, now time.Time) (discordID, subject string, err error) {
	discordID, subject, err = peekCodeTx(ctx, tx, guildID, code, purpose, now)
	if err != nil {
		return "", "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE link_codes SET used_at = ? WHERE code = ?`, now.UnixNano(), code); err != nil {
		return "", "", err
	}
	return discordID, subject, nil
}

// RedeemGameCode links the owner of code to the player who said it (eos,
// names, playerID) and consumes the code, in one transaction. A code issued
// for a name (its subject) only works when said by a player of that
// character or platform name: anyone else saying it links nothing. An
// unknown code is ErrNotFound, an expired or used one ErrExpired, another
// player's code or an EOS id linked to another Discord account
// ErrConflict.
func (db *DB) RedeemGameCode(ctx context.Context, guildID, code, eosID string, names []string, playerID int64) (l Link, err error) {
	err = db.inTx(ctx, "redeem link code", func(tx txn) error {
		now := db.now()
		owner, subject, err := peekCodeTx(ctx, tx, guildID, code, CodeGame, now)
		if err != nil {
			return err
		}
		name := ""
		for _, n := range names {
			if n != "" && name == "" {
				name = n
			}
			if subject != "" && strings.EqualFold(strings.TrimSpace(n), subject) {
				subject, name = "", n
			}
		}
		if subject != "" {
			return fmt.Errorf("%w: code %s was said by another player", ErrConflict, code)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE link_codes SET used_at = ? WHERE code = ?`, now.UnixNano(), code); err != nil {
			return err
		}
		l = Link{GuildID: guildID, DiscordID: owner, EOSID: strings.ToLower(eosID), Name: name, PlayerID: playerID, LinkedAt: now.UTC()}
		return putLinkTx(ctx, tx, l)
	})
	return l, err
}

func putLinkTx(ctx context.Context, tx execer, l Link) error {
	var other string
	err := tx.QueryRowContext(ctx, `SELECT discord_id FROM links WHERE guild_id = ? AND eos_id = ?`, l.GuildID, l.EOSID).Scan(&other)
	if err == nil && other != l.DiscordID {
		return fmt.Errorf("%w: that player is linked to another Discord account", ErrConflict)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO links (guild_id, discord_id, eos_id, name, player_id, linked_by, linked_at)
	VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, discord_id) DO UPDATE SET eos_id = excluded.eos_id,
	name = excluded.name, player_id = excluded.player_id, linked_by = excluded.linked_by, linked_at = excluded.linked_at`,
		l.GuildID, l.DiscordID, l.EOSID, capText(l.Name, 100), l.PlayerID, l.LinkedBy, l.LinkedAt.UnixNano())
	return err
}

// PutLink links (or re-links) an account by hand.
func (db *DB) PutLink(ctx context.Context, l Link) error {
	if l.GuildID == "" || l.DiscordID == "" || l.EOSID == "" {
		return fmt.Errorf("storage: put link: %w: needs guild, discord and eos ids", ErrInvalid)
	}
	l.EOSID = strings.ToLower(l.EOSID)
	if l.LinkedAt.IsZero() {
		l.LinkedAt = db.now().UTC()
	}
	return db.inTx(ctx, "put link", func(tx txn) error { return putLinkTx(ctx, tx, l) })
}

// Unlink removes an account's link; false when it had none.
func (db *DB) Unlink(ctx context.Context, guildID, discordID string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM links WHERE guild_id = ? AND discord_id = ?`, guildID, discordID)
	if err != nil {
		return false, wrap("unlink", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetLinkPlayerID records the numeric in-game id of a linked player.
func (db *DB) SetLinkPlayerID(ctx context.Context, guildID, eosID string, playerID int64) error {
	if _, err := db.db.ExecContext(ctx, `UPDATE links SET player_id = ? WHERE guild_id = ? AND eos_id = ?`,
		playerID, guildID, strings.ToLower(eosID)); err != nil {
		return wrap("set link player id", err)
	}
	return nil
}

const linkCols = `guild_id, discord_id, eos_id, name, player_id, linked_by, linked_at`

func scanLink(r rowScanner) (Link, error) {
	var l Link
	var at int64
	if err := r.Scan(&l.GuildID, &l.DiscordID, &l.EOSID, &l.Name, &l.PlayerID, &l.LinkedBy, &at); err != nil {
		return Link{}, err
	}
	l.LinkedAt = time.Unix(0, at).UTC()
	return l, nil
}

func (db *DB) oneLink(ctx context.Context, q string, args ...any) (Link, error) {
	l, err := scanLink(db.db.QueryRowContext(ctx, `SELECT `+linkCols+` FROM links WHERE `+q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, fmt.Errorf("storage: link: %w", ErrNotFound)
	}
	if err != nil {
		return Link{}, wrap("link", err)
	}
	return l, nil
}

// LinkByDiscord returns an account's link, or ErrNotFound.
func (db *DB) LinkByDiscord(ctx context.Context, guildID, discordID string) (Link, error) {
	return db.oneLink(ctx, `guild_id = ? AND discord_id = ?`, guildID, discordID)
}

// LinkByEOS returns the link of a player, or ErrNotFound.
func (db *DB) LinkByEOS(ctx context.Context, guildID, eosID string) (Link, error) {
	return db.oneLink(ctx, `guild_id = ? AND eos_id = ?`, guildID, strings.ToLower(eosID))
}

// Links returns every link of a guild.
func (db *DB) Links(ctx context.Context, guildID string) ([]Link, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+linkCols+` FROM links WHERE guild_id = ?`, guildID)
	if err != nil {
		return nil, wrap("links", err)
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, wrap("links", err)
		}
		out = append(out, l)
	}
	return out, wrap2("links", rows.Err())
}

// DonorLink ties a Nitrado account (a boost's username) to a Discord
// account.
type DonorLink struct {
	GuildID   string
	Username  string // lower-cased
	DiscordID string
	LinkedBy  string
	LinkedAt  time.Time
}

// LinkDonor links a Nitrado username to discordID and, in the same
// transaction, credits every boost of that username not credited yet (each
// under its own key, so at most once). It returns the GP credited.
func (db *DB) LinkDonor(ctx context.Context, guildID, username, discordID, linkedBy string) (credited int64, err error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if username == "" || discordID == "" {
		return 0, fmt.Errorf("storage: link donor: %w: needs a username and an account", ErrInvalid)
	}
	err = db.inTx(ctx, "link donor", func(tx txn) error {
		credited, err = linkDonorTx(ctx, tx, guildID, username, discordID, linkedBy, db.now())
		return err
	})
	return credited, err
}

func linkDonorTx(ctx context.Context, tx txn, guildID, username, discordID, linkedBy string, now time.Time) (int64, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO donor_links (guild_id, username, discord_id, linked_by, linked_at)
	VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, username) DO UPDATE SET discord_id = excluded.discord_id,
	linked_by = excluded.linked_by, linked_at = excluded.linked_at`, guildID, username, discordID, linkedBy, now.UnixNano()); err != nil {
		return 0, err
	}
	return creditDonorTx(ctx, tx, guildID, username, discordID, now)
}

// creditDonorTx credits username's uncredited boosts with a GP value to
// discordID.
func creditDonorTx(ctx context.Context, tx txn, guildID, username, discordID string, now time.Time) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, service_id, boost_id, gp FROM boosts
	WHERE guild_id = ? AND username = ? AND credited = 0 AND gp > 0`, guildID, username)
	if err != nil {
		return 0, err
	}
	type b struct{ id, svc, bid, gp int64 }
	var bs []b
	for rows.Next() {
		var x b
		if err := rows.Scan(&x.id, &x.svc, &x.bid, &x.gp); err != nil {
			rows.Close()
			return 0, err
		}
		bs = append(bs, x)
	}
	rows.Close()
	var total int64
	for _, x := range bs {
		_, created, err := postTx(ctx, tx, LedgerEntry{GuildID: guildID, Account: discordID, Kind: GP, Amount: x.gp,
			Reason: "donation", Reference: fmt.Sprintf("boost %d on %d", x.bid, x.svc),
			Key: fmt.Sprintf("boost:%d:%d", x.svc, x.bid)}, now)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE boosts SET credited = 1 WHERE id = ?`, x.id); err != nil {
			return 0, err
		}
		if created {
			total += x.gp
		}
	}
	return total, nil
}

// RedeemDonorCode links the owner of a Nitrado link code to username (the
// boost's donor) and credits the donor's boosts. The code's subject, when
// set, must match username.
func (db *DB) RedeemDonorCode(ctx context.Context, guildID, code, username string) (discordID string, credited int64, err error) {
	username = strings.ToLower(strings.TrimSpace(username))
	err = db.inTx(ctx, "redeem donor code", func(tx txn) error {
		now := db.now()
		owner, subject, err := takeCodeTx(ctx, tx, guildID, code, CodeNitrado, now)
		if err != nil {
			return err
		}
		if subject != "" && subject != username {
			return fmt.Errorf("%w: code %s was issued for %q, not %q", ErrConflict, code, subject, username)
		}
		discordID = owner
		credited, err = linkDonorTx(ctx, tx, guildID, username, owner, "", now)
		return err
	})
	return discordID, credited, err
}

// DonorLink returns the link of a Nitrado username, or ErrNotFound.
func (db *DB) DonorLink(ctx context.Context, guildID, username string) (DonorLink, error) {
	var d DonorLink
	var at int64
	err := db.db.QueryRowContext(ctx, `SELECT guild_id, username, discord_id, linked_by, linked_at FROM donor_links
	WHERE guild_id = ? AND username = ?`, guildID, strings.ToLower(strings.TrimSpace(username))).Scan(&d.GuildID, &d.Username, &d.DiscordID, &d.LinkedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return DonorLink{}, fmt.Errorf("storage: donor link: %w", ErrNotFound)
	}
	if err != nil {
		return DonorLink{}, wrap("donor link", err)
	}
	d.LinkedAt = time.Unix(0, at).UTC()
	return d, nil
}

// DonorUsernames returns the Nitrado usernames linked to discordID.
func (db *DB) DonorUsernames(ctx context.Context, guildID, discordID string) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT username FROM donor_links WHERE guild_id = ? AND discord_id = ? ORDER BY username`, guildID, discordID)
	if err != nil {
		return nil, wrap("donor usernames", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, wrap("donor usernames", err)
		}
		out = append(out, u)
	}
	return out, wrap2("donor usernames", rows.Err())
}
