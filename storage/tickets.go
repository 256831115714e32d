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

// Ticket errors (wrapped; test with errors.Is).
var (
	// ErrTicketLimit: the opener already has the maximum of open tickets.
	ErrTicketLimit = errors.New("open ticket limit reached")
	// ErrTicketCooldown: the opener opened a ticket too recently.
	ErrTicketCooldown = errors.New("ticket cooldown")
)

// Ticket states.
const (
	TicketOpening = "opening" // number reserved, thread not created yet
	TicketOpen    = "open"
	TicketClosed  = "closed"
)

// TicketType is one button of a guild's ticket panel. Its fields mirror
// tickets.Type so app converts between them directly.
type TicketType struct {
	ID         int64
	GuildID    string
	Label      string
	Emoji      string
	Questions  []string // modal questions, 0-5
	StaffRoles []string // role ids that handle this type
	UserLimit  int      // open tickets of this type per user; 0: the guild default
	CreatedAt  time.Time
}

// Ticket is one ticket. Fields mirror tickets.Ticket.
type Ticket struct {
	ID          int64
	GuildID     string
	Number      int64
	TypeID      int64 // 0: automatic ticket
	TypeLabel   string
	OpenerID    string
	OpenerName  string
	ThreadID    string
	ParentID    string
	State       string
	Subject     string
	Questions   []string
	Answers     []string
	ClaimedBy   string
	ClosedBy    string
	CloseReason string
	CreatedAt   time.Time
	ClosedAt    time.Time
	LastActive  time.Time
	WarnedAt    time.Time
}

// TicketMessage is one stored message of a ticket thread (or a staff note).
// Fields mirror tickets.Message.
type TicketMessage struct {
	TicketID        int64
	MessageID       string
	AuthorID        string
	AuthorName      string
	AuthorBot       bool
	Content         string
	Embeds          string
	AttachmentNames []string
	AttachmentURLs  []string
	Note            bool
	Deleted         bool
	CreatedAt       time.Time
	EditedAt        time.Time
}

// Incident is one raised problem. Fields mirror tickets.IncidentRecord.
type Incident struct {
	ID           int64
	GuildID      string
	DedupeKey    string
	Kind         string
	Subject      string
	ServiceID    int64
	Details      string
	ActionLabels []string
	ActionIDs    []string
	State        string // "open" or "cleared"
	Repeats      int
	TicketID     int64
	OpenedAt     time.Time
	LastAt       time.Time
	ClearedAt    time.Time
	ClearNote    string
}

// TicketTrigger is a staff-defined regular expression over live-feed lines.
// Fields mirror tickets.Trigger.
type TicketTrigger struct {
	ID        int64
	GuildID   string
	Kind      string
	Pattern   string
	ServiceID int64
	Label     string
	CreatedBy string
	CreatedAt time.Time
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) []string {
	var v []string
	if json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}

func commaList(v []string) string { return strings.Join(v, ",") }

func splitComma(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// ---- ticket types ----

func checkType(t TicketType) error {
	switch {
	case t.GuildID == "":
		return fmt.Errorf("%w: ticket type without guild", ErrInvalid)
	case t.Label == "" || len(t.Label) > 80:
		return fmt.Errorf("%w: ticket type label must be 1-80 bytes", ErrInvalid)
	case len(t.Questions) > 5:
		return fmt.Errorf("%w: at most 5 questions", ErrInvalid)
	case t.UserLimit < 0:
		return fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	return nil
}

// TicketTypeAdd adds a ticket type; a label already used in the guild is
// ErrConflict.
func (db *DB) TicketTypeAdd(ctx context.Context, t TicketType) (TicketType, error) {
	if err := checkType(t); err != nil {
		return TicketType{}, fmt.Errorf("storage: add ticket type: %w", err)
	}
	t.CreatedAt = db.clockNow().UTC()
	res, err := db.db.ExecContext(ctx, `INSERT INTO ticket_types (guild_id, label, emoji, questions, staff_roles, user_limit, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)`, t.GuildID, t.Label, t.Emoji, jsonList(t.Questions), commaList(t.StaffRoles), t.UserLimit, nanos(t.CreatedAt))
	if err != nil {
		return TicketType{}, wrap("add ticket type "+t.Label, err)
	}
	t.ID, _ = res.LastInsertId()
	return t, nil
}

// TicketTypeUpdate replaces a type's fields (by ID and guild).
func (db *DB) TicketTypeUpdate(ctx context.Context, t TicketType) error {
	if err := checkType(t); err != nil {
		return fmt.Errorf("storage: update ticket type: %w", err)
	}
	res, err := db.db.ExecContext(ctx, `UPDATE ticket_types SET label = ?, emoji = ?, questions = ?, staff_roles = ?, user_limit = ?
	WHERE id = ? AND guild_id = ?`, t.Label, t.Emoji, jsonList(t.Questions), commaList(t.StaffRoles), t.UserLimit, t.ID, t.GuildID)
	if err != nil {
		return wrap("update ticket type "+t.Label, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: update ticket type %d: %w", t.ID, ErrNotFound)
	}
	return nil
}

// TicketTypeDelete removes a type; its tickets keep their label.
func (db *DB) TicketTypeDelete(ctx context.Context, guildID string, id int64) (bool, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM ticket_types WHERE id = ? AND guild_id = ?`, id, guildID)
	if err != nil {
		return false, wrap("delete ticket type", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

const typeCols = `id, guild_id, label, emoji, questions, staff_roles, user_limit, created_at`

func scanType(r rowScanner) (TicketType, error) {
	var t TicketType
	var qs, roles string
	var created int64
	if err := r.Scan(&t.ID, &t.GuildID, &t.Label, &t.Emoji, &qs, &roles, &t.UserLimit, &created); err != nil {
		return TicketType{}, err
	}
	t.Questions, t.StaffRoles, t.CreatedAt = parseList(qs), splitComma(roles), fromNanos(created)
	return t, nil
}

// TicketTypes lists a guild's ticket types in creation order.
func (db *DB) TicketTypes(ctx context.Context, guildID string) ([]TicketType, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+typeCols+` FROM ticket_types WHERE guild_id = ? ORDER BY id`, guildID)
	if err != nil {
		return nil, wrap("ticket types", err)
	}
	defer rows.Close()
	var out []TicketType
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, wrap("ticket types", err)
		}
		out = append(out, t)
	}
	return out, wrap0("ticket types", rows.Err())
}

// TicketType returns one type, ErrNotFound if absent.
func (db *DB) TicketType(ctx context.Context, guildID string, id int64) (TicketType, error) {
	t, err := scanType(db.db.QueryRowContext(ctx, `SELECT `+typeCols+` FROM ticket_types WHERE guild_id = ? AND id = ?`, guildID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return TicketType{}, fmt.Errorf("storage: ticket type %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return TicketType{}, wrap("ticket type", err)
	}
	return t, nil
}

func wrap0(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(op, err)
}

// ---- tickets ----

// TicketReserve allocates the guild's next ticket number for t in one
// write transaction (SQLite serialises writers, so concurrent clicks
// cannot overshoot a limit): it refuses with ErrTicketLimit when the opener
// already has userLimit open tickets (typeLimit of t's type; 0 disables
// either) and with ErrTicketCooldown when their last ticket is younger than
// cooldown. Automatic tickets (no opener) skip both checks. The ticket is
// stored in state "opening"; TicketOpened or TicketDiscard follows.
func (db *DB) TicketReserve(ctx context.Context, t Ticket, userLimit, typeLimit int, cooldown time.Duration) (_ Ticket, err error) {
	op := "reserve ticket"
	if t.GuildID == "" || len(t.Questions) != len(t.Answers) {
		return Ticket{}, fmt.Errorf("storage: %s: %w", op, ErrInvalid)
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return Ticket{}, wrap(op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	now := db.clockNow().UTC()
	if t.OpenerID != "" {
		var all, ofType int
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(type_id = ?), 0) FROM tickets
		WHERE guild_id = ? AND opener_id = ? AND state != 'closed'`, t.TypeID, t.GuildID, t.OpenerID).Scan(&all, &ofType); err != nil {
			return Ticket{}, wrap(op, err)
		}
		if (userLimit > 0 && all >= userLimit) || (typeLimit > 0 && ofType >= typeLimit) {
			return Ticket{}, fmt.Errorf("storage: %s: %w", op, ErrTicketLimit)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(created_at), 0) FROM tickets WHERE guild_id = ? AND opener_id = ?`,
			t.GuildID, t.OpenerID).Scan(&last); err != nil {
			return Ticket{}, wrap(op, err)
		}
		if cooldown > 0 && last != 0 && now.Sub(fromNanos(last)) < cooldown {
			return Ticket{}, fmt.Errorf("storage: %s: %w", op, ErrTicketCooldown)
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM tickets WHERE guild_id = ?`, t.GuildID).Scan(&t.Number); err != nil {
		return Ticket{}, wrap(op, err)
	}
	t.State, t.CreatedAt, t.LastActive = TicketOpening, now, now
	qa, _ := json.Marshal([2][]string{nonNil(t.Questions), nonNil(t.Answers)})
	res, err := tx.ExecContext(ctx, `INSERT INTO tickets (guild_id, number, type_id, type_label, opener_id, opener_name, parent_id,
	state, subject, answers, created_at, last_activity) VALUES (?, ?, ?, ?, ?, ?, ?, 'opening', ?, ?, ?, ?)`,
		t.GuildID, t.Number, t.TypeID, t.TypeLabel, t.OpenerID, t.OpenerName, t.ParentID, t.Subject, string(qa), nanos(now), nanos(now))
	if err != nil {
		return Ticket{}, wrap(op, err)
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return Ticket{}, wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return Ticket{}, wrap(op, err)
	}
	return t, nil
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// TicketOpened records the thread of a reserved ticket and opens it.
func (db *DB) TicketOpened(ctx context.Context, id int64, threadID, parentID string) error {
	return db.ticketExec(ctx, "ticket opened", `UPDATE tickets SET thread_id = ?, parent_id = ?, state = 'open' WHERE id = ? AND state = 'opening'`,
		threadID, parentID, id)
}

// TicketDiscard deletes a reservation whose thread could not be created.
func (db *DB) TicketDiscard(ctx context.Context, id int64) error {
	_, err := db.db.ExecContext(ctx, `DELETE FROM tickets WHERE id = ? AND state = 'opening'`, id)
	return wrap0("discard ticket", err)
}

// TicketDiscardStale deletes reservations older than before whose thread
// was never recorded (the process stopped between reserving and opening),
// so they stop counting against their opener's limit.
func (db *DB) TicketDiscardStale(ctx context.Context, before time.Time) (int, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM tickets WHERE state = 'opening' AND created_at < ?`, nanos(before))
	if err != nil {
		return 0, wrap("discard stale tickets", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (db *DB) ticketExec(ctx context.Context, op, q string, args ...any) error {
	res, err := db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return wrap(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: %s: %w", op, ErrNotFound)
	}
	return nil
}

// ticketChange runs an UPDATE and reports whether a row changed.
func (db *DB) ticketChange(ctx context.Context, op, q string, args ...any) (bool, error) {
	res, err := db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, wrap(op, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// TicketClaim assigns an open, unclaimed ticket to staffID. Of two staff
// claiming at once exactly one gets true.
func (db *DB) TicketClaim(ctx context.Context, id int64, staffID string) (bool, error) {
	return db.ticketChange(ctx, "claim ticket", `UPDATE tickets SET claimed_by = ? WHERE id = ? AND state = 'open' AND claimed_by = ''`, staffID, id)
}

// TicketUnclaim releases a claim.
func (db *DB) TicketUnclaim(ctx context.Context, id int64) (bool, error) {
	return db.ticketChange(ctx, "unclaim ticket", `UPDATE tickets SET claimed_by = '' WHERE id = ? AND state = 'open' AND claimed_by != ''`, id)
}

// TicketClose closes an open ticket; false when it was not open.
func (db *DB) TicketClose(ctx context.Context, id int64, by, reason string) (bool, error) {
	return db.ticketChange(ctx, "close ticket", `UPDATE tickets SET state = 'closed', closed_by = ?, close_reason = ?, closed_at = ?
	WHERE id = ? AND state = 'open'`, by, reason, nanos(db.clockNow()), id)
}

// TicketReopen reopens a ticket closed no longer than within ago.
func (db *DB) TicketReopen(ctx context.Context, id int64, within time.Duration) (bool, error) {
	now := db.clockNow()
	return db.ticketChange(ctx, "reopen ticket", `UPDATE tickets SET state = 'open', closed_by = '', close_reason = '', closed_at = 0,
	last_activity = ?, warned_at = 0 WHERE id = ? AND state = 'closed' AND closed_at >= ?`, nanos(now), id, nanos(now.Add(-within)))
}

// TicketTouch records activity (a member's message): it resets the
// inactivity timer and warning.
func (db *DB) TicketTouch(ctx context.Context, id int64, at time.Time) error {
	_, err := db.db.ExecContext(ctx, `UPDATE tickets SET last_activity = MAX(last_activity, ?), warned_at = 0 WHERE id = ? AND state = 'open'`, nanos(at), id)
	return wrap0("touch ticket", err)
}

// TicketWarned records the inactivity warning.
func (db *DB) TicketWarned(ctx context.Context, id int64) error {
	_, err := db.db.ExecContext(ctx, `UPDATE tickets SET warned_at = ? WHERE id = ?`, nanos(db.clockNow()), id)
	return wrap0("warn ticket", err)
}

const ticketCols = `id, guild_id, number, type_id, type_label, opener_id, opener_name, thread_id, parent_id, state, subject, answers,
claimed_by, closed_by, close_reason, created_at, closed_at, last_activity, warned_at`

func scanTicket(r rowScanner) (Ticket, error) {
	var t Ticket
	var qa string
	var created, closed, active, warned int64
	if err := r.Scan(&t.ID, &t.GuildID, &t.Number, &t.TypeID, &t.TypeLabel, &t.OpenerID, &t.OpenerName, &t.ThreadID, &t.ParentID,
		&t.State, &t.Subject, &qa, &t.ClaimedBy, &t.ClosedBy, &t.CloseReason, &created, &closed, &active, &warned); err != nil {
		return Ticket{}, err
	}
	var pair [2][]string
	if json.Unmarshal([]byte(qa), &pair) == nil && len(pair[0]) == len(pair[1]) {
		t.Questions, t.Answers = pair[0], pair[1]
	}
	t.CreatedAt, t.ClosedAt, t.LastActive, t.WarnedAt = fromNanos(created), fromNanos(closed), fromNanos(active), fromNanos(warned)
	return t, nil
}

func (db *DB) oneTicket(ctx context.Context, op, where string, args ...any) (Ticket, error) {
	t, err := scanTicket(db.db.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, fmt.Errorf("storage: %s: %w", op, ErrNotFound)
	}
	if err != nil {
		return Ticket{}, wrap(op, err)
	}
	return t, nil
}

// TicketByID returns a ticket by its row id.
func (db *DB) TicketByID(ctx context.Context, id int64) (Ticket, error) {
	return db.oneTicket(ctx, "ticket", `id = ?`, id)
}

// TicketByThread returns the ticket whose thread is threadID.
func (db *DB) TicketByThread(ctx context.Context, threadID string) (Ticket, error) {
	if threadID == "" {
		return Ticket{}, fmt.Errorf("storage: ticket by thread: %w", ErrNotFound)
	}
	return db.oneTicket(ctx, "ticket by thread", `thread_id = ?`, threadID)
}

// TicketByNumber returns a guild's ticket by number.
func (db *DB) TicketByNumber(ctx context.Context, guildID string, number int64) (Ticket, error) {
	return db.oneTicket(ctx, "ticket by number", `guild_id = ? AND number = ?`, guildID, number)
}

// TicketsOpen lists every open ticket (all guilds), least recently active first.
func (db *DB) TicketsOpen(ctx context.Context) ([]Ticket, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE state = 'open' ORDER BY last_activity, id`)
	if err != nil {
		return nil, wrap("open tickets", err)
	}
	defer rows.Close()
	var out []Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, wrap("open tickets", err)
		}
		out = append(out, t)
	}
	return out, wrap0("open tickets", rows.Err())
}

// TicketCounts returns the number of tickets per state (all guilds).
func (db *DB) TicketCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM tickets GROUP BY state`)
	if err != nil {
		return nil, wrap("ticket counts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, wrap("ticket counts", err)
		}
		out[s] = n
	}
	return out, wrap0("ticket counts", rows.Err())
}

// ---- ticket messages ----

// TicketMessagePut stores (or, for an edit, replaces) one message.
func (db *DB) TicketMessagePut(ctx context.Context, m TicketMessage) error {
	if m.TicketID == 0 || m.MessageID == "" {
		return fmt.Errorf("storage: put ticket message: %w", ErrInvalid)
	}
	if len(m.AttachmentNames) != len(m.AttachmentURLs) {
		return fmt.Errorf("storage: put ticket message: %w: attachment names and urls differ", ErrInvalid)
	}
	att, _ := json.Marshal([2][]string{nonNil(m.AttachmentNames), nonNil(m.AttachmentURLs)})
	_, err := db.db.ExecContext(ctx, `INSERT INTO ticket_messages (ticket_id, message_id, author_id, author_name, author_bot, content,
	embeds, attachments, note, created_at, edited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (ticket_id, message_id) DO UPDATE SET content = excluded.content, embeds = excluded.embeds,
	attachments = excluded.attachments, edited_at = excluded.edited_at,
	author_name = CASE WHEN excluded.author_name != '' THEN excluded.author_name ELSE author_name END`,
		m.TicketID, m.MessageID, m.AuthorID, m.AuthorName, m.AuthorBot, m.Content, m.Embeds, string(att), m.Note,
		nanos(m.CreatedAt), nanos(m.EditedAt))
	return wrap0("put ticket message", err)
}

// TicketMessageDelete marks a stored message deleted (kept for staff).
func (db *DB) TicketMessageDelete(ctx context.Context, ticketID int64, messageID string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE ticket_messages SET deleted = 1 WHERE ticket_id = ? AND message_id = ?`, ticketID, messageID)
	return wrap0("delete ticket message", err)
}

// TicketMessages returns a ticket's messages and notes in time order.
func (db *DB) TicketMessages(ctx context.Context, ticketID int64) ([]TicketMessage, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT ticket_id, message_id, author_id, author_name, author_bot, content, embeds,
	attachments, note, deleted, created_at, edited_at FROM ticket_messages WHERE ticket_id = ?
	ORDER BY created_at, length(message_id), message_id`, ticketID)
	if err != nil {
		return nil, wrap("ticket messages", err)
	}
	defer rows.Close()
	var out []TicketMessage
	for rows.Next() {
		var m TicketMessage
		var att string
		var created, edited int64
		if err := rows.Scan(&m.TicketID, &m.MessageID, &m.AuthorID, &m.AuthorName, &m.AuthorBot, &m.Content, &m.Embeds,
			&att, &m.Note, &m.Deleted, &created, &edited); err != nil {
			return nil, wrap("ticket messages", err)
		}
		var pair [2][]string
		if json.Unmarshal([]byte(att), &pair) == nil && len(pair[0]) == len(pair[1]) {
			m.AttachmentNames, m.AttachmentURLs = pair[0], pair[1]
		}
		m.CreatedAt, m.EditedAt = fromNanos(created), fromNanos(edited)
		out = append(out, m)
	}
	return out, wrap0("ticket messages", rows.Err())
}

// clockNow is DB.Now, or the wall clock.
func (db *DB) clockNow() time.Time {
	if db.Now != nil {
		return db.Now()
	}
	return time.Now()
}

// TicketPanel is a posted panel message.
type TicketPanel struct {
	GuildID   string
	ChannelID string
	MessageID string
}

// TicketPanelAdd records a posted panel.
func (db *DB) TicketPanelAdd(ctx context.Context, p TicketPanel) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO ticket_panels (message_id, guild_id, channel_id) VALUES (?, ?, ?)
	ON CONFLICT (message_id) DO NOTHING`, p.MessageID, p.GuildID, p.ChannelID)
	return wrap0("add ticket panel", err)
}

// TicketPanelRemove forgets a panel (its message was deleted).
func (db *DB) TicketPanelRemove(ctx context.Context, messageID string) error {
	_, err := db.db.ExecContext(ctx, `DELETE FROM ticket_panels WHERE message_id = ?`, messageID)
	return wrap0("remove ticket panel", err)
}

// TicketPanels lists a guild's panels.
func (db *DB) TicketPanels(ctx context.Context, guildID string) ([]TicketPanel, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT guild_id, channel_id, message_id FROM ticket_panels WHERE guild_id = ? ORDER BY message_id`, guildID)
	if err != nil {
		return nil, wrap("ticket panels", err)
	}
	defer rows.Close()
	var out []TicketPanel
	for rows.Next() {
		var p TicketPanel
		if err := rows.Scan(&p.GuildID, &p.ChannelID, &p.MessageID); err != nil {
			return nil, wrap("ticket panels", err)
		}
		out = append(out, p)
	}
	return out, wrap0("ticket panels", rows.Err())
}
