// Package donations ingests Nitrado boost history (donations that extend a
// server's rental). Each run walks the history pages of every server,
// records each boost once (unique on service + boost id), and advances a
// durable cursor in the same transaction as the page it read, so a 429 or
// 503 mid-walk resumes at that page on the next run. The first run on a
// server imports the existing history silently and posts one summary
// instead of a flood. A boost with a missing or absurd field is recorded
// with what is known and flagged to staff, never dropped and never credited
// twice. A service whose API refuses boost history is reported as "not
// supported by this service" and asked again only daily, not in a loop.
//
// Donation log posts go through the one outbox: the store queues a post for
// each new boost (and one import summary) in the transaction that records
// the boosts, and Deliver posts them with the row's nonce (Discord's
// enforce_nonce), marking each done after Discord answered. A crash between
// recording and posting leaves the row pending (posted on the next run); a
// crash after posting and before marking done re-sends the same nonce, and
// Discord returns the first message instead of posting a second.
package donations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blissark/bliss/app/nitrado"
)

// Boost is one boost as recorded.
type Boost struct {
	ServiceID   int64
	BoostID     int64
	GuildID     string
	Username    string
	ExtendedFor time.Duration
	AmountRaw   string
	Cents       int64
	Currency    string
	Message     string
	BoostedAt   time.Time
	Flags       []string
	GP          int64
	Imported    bool
	Credited    bool // set by the store when a linked donor was credited
}

// Server is one game server whose boosts are read.
type Server struct {
	GuildID   string
	ServiceID int64
	Name      string
}

// Rates are a guild's GP per boost: per currency unit (1.00 of the amount)
// and per day extended.
type Rates struct {
	PerUnit, PerDay float64
	Poll            time.Duration // how often the server's history is read (0: every run)
}

// Store records boosts; app wires it to storage.
type Store interface {
	Servers(ctx context.Context) ([]Server, error)
	Rates(ctx context.Context, guildID string) Rates
	Cursor(ctx context.Context, key string) (string, error)
	// Record inserts boosts (each once), credits linked donors, queues a
	// donation post for each new boost not Imported (and, when summaryOf is
	// set, one import summary post for that server) and sets the cursor, in
	// one transaction; it returns the new boosts.
	Record(ctx context.Context, cursorKey, cursorValue string, bs []Boost, summaryOf *Server) ([]Boost, error)
	// DuePosts returns queued donation posts whose time has come, oldest
	// first; PostDone, PostRetry and PostFailed settle one.
	DuePosts(ctx context.Context, now time.Time, limit int) ([]Post, error)
	PostDone(ctx context.Context, id int64, note string) error
	PostRetry(ctx context.Context, id int64, next time.Time, note string) error
	PostFailed(ctx context.Context, id int64, note string) error
	// Boost returns a recorded boost and the Discord account its donor is
	// linked to ("" none).
	Boost(ctx context.Context, serviceID, boostID int64) (b Boost, donor string, err error)
	// RedeemCode links the Nitrado username to the owner of a link code
	// found in a boost message and credits the donor's boosts.
	RedeemCode(ctx context.Context, guildID, code, username string) (discordID string, credited int64, err error)
	MonthTotal(ctx context.Context, guildID string, month time.Time) (cents int64, n int, err error)
	// Totals counts a service's recorded boosts and sums their amounts.
	Totals(ctx context.Context, serviceID int64) (n int, cents int64, err error)
}

// Nitrado reads boost history pages (*nitrado.Client).
type Nitrado interface {
	BoostHistory(ctx context.Context, serviceID int64, page int) (*nitrado.BoostPage, error)
}

// Post is one queued donation log post (an outbox row).
type Post struct {
	ID        int64 // outbox row id: its nonce names the Discord message
	Attempts  int
	GuildID   string
	ServiceID int64
	BoostID   int64
	Username  string // the donor's spelling
	Summary   bool   // the first-run import summary of ServiceID
}

// ErrNoChannel is returned by an Announcer when the guild has no donations
// log channel: the post is settled without being made.
var ErrNoChannel = errors.New("donations: no donations log channel")

// Announcer posts donation news to a guild's donations log. nonce is sent
// with enforce_nonce, so posting the same nonce again returns the first
// message instead of a second one.
type Announcer interface {
	// Boost announces one new boost with the month's running total.
	Boost(ctx context.Context, srv Server, b Boost, monthCents int64, monthCount int, donor, nonce string) error
	// Imported summarises a first-run import.
	Imported(ctx context.Context, srv Server, n int, cents int64, nonce string) error
}

// Incidents flags boosts to staff.
type Incidents interface {
	Raise(ctx context.Context, kind, guildID, subject string, serviceID int64, details, dedupeKey string) error
}

// Options tune the job.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// FindCode extracts a link code from a boost message ("" none).
	FindCode func(string) string
	// UnsupportedRetry is how long an unsupported service is left alone
	// (default 24h).
	UnsupportedRetry time.Duration
	// Nonce names the Discord message of an outbox row (storage.OutboxNonce;
	// default the same formula).
	Nonce func(id int64) string
}

// Job ingests boosts.
type Job struct {
	store Store
	api   Nitrado
	ann   Announcer
	inc   Incidents
	o     Options

	mu     sync.Mutex
	status map[int64]Status
}

// Status is one server's ingestion state for /status.
type Status struct {
	State   string // "ok", "not supported by this service", "retrying: …", "error: …"
	Checked time.Time
	Boosts  int // recorded by the last run
}

// New returns a donations job; ann and inc may be nil.
func New(store Store, api Nitrado, ann Announcer, inc Incidents, o Options) *Job {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UnsupportedRetry <= 0 {
		o.UnsupportedRetry = 24 * time.Hour
	}
	if o.Nonce == nil {
		o.Nonce = func(id int64) string { return "bl" + strconv.FormatInt(id, 36) }
	}
	return &Job{store: store, api: api, ann: ann, inc: inc, o: o, status: map[int64]Status{}}
}

// Recheck makes the next Run read every server regardless of its poll
// interval (after a settings change; the sandbox).
func (j *Job) Recheck() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for k, v := range j.status {
		v.Checked = time.Time{}
		j.status[k] = v
	}
}

// Statuses returns every server's last state.
func (j *Job) Statuses() map[int64]Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make(map[int64]Status, len(j.status))
	for k, v := range j.status {
		out[k] = v
	}
	return out
}

func (j *Job) setStatus(id int64, st Status) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status[id] = st
}

// cursor is the durable walk state of one server.
type cursor struct {
	Imported bool `json:"imported"` // the first-run import finished
	Page     int  `json:"page"`     // page to resume at (0: start over)
}

// Run ingests every server once, then makes the queued donation posts
// (Deliver). Only errors of the store end the run; an API failure is
// recorded in the server's status and retried next run.
func (j *Job) Run(ctx context.Context) error {
	srvs, err := j.store.Servers(ctx)
	if err != nil {
		return fmt.Errorf("donations: servers: %w", err)
	}
	var errs []error
	for _, s := range srvs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := j.server(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	if err := j.deliver(ctx, srvs); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// maxPostAttempts bounds the retries of one donation post (Discord down
// for longer than about a day, a channel the bot may not post in).
const maxPostAttempts = 12

// Deliver makes the queued donation posts that are due.
func (j *Job) Deliver(ctx context.Context) error {
	srvs, err := j.store.Servers(ctx)
	if err != nil {
		return fmt.Errorf("donations: servers: %w", err)
	}
	return j.deliver(ctx, srvs)
}

func (j *Job) deliver(ctx context.Context, srvs []Server) error {
	if j.ann == nil {
		return nil
	}
	posts, err := j.store.DuePosts(ctx, j.o.Now(), 50)
	if err != nil {
		return fmt.Errorf("donations: due posts: %w", err)
	}
	byID := make(map[int64]Server, len(srvs))
	for _, s := range srvs {
		byID[s.ServiceID] = s
	}
	for _, p := range posts {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		srv, ok := byID[p.ServiceID]
		if !ok {
			srv = Server{GuildID: p.GuildID, ServiceID: p.ServiceID, Name: fmt.Sprintf("server %d", p.ServiceID)}
		}
		err := j.post(ctx, srv, p)
		switch {
		case err == nil:
			err = j.store.PostDone(ctx, p.ID, "")
		case errors.Is(err, ErrNoChannel):
			err = j.store.PostDone(ctx, p.ID, "not posted: no donations log channel")
		case p.Attempts+1 >= maxPostAttempts:
			j.o.Logger.Warn("donation post given up", "outbox", p.ID, "err", err)
			err = j.store.PostFailed(ctx, p.ID, err.Error())
		default:
			j.o.Logger.Warn("donation post failed, retrying", "outbox", p.ID, "err", err)
			back := min(30*time.Second<<min(p.Attempts, 10), 3*time.Hour)
			err = j.store.PostRetry(ctx, p.ID, j.o.Now().Add(back), err.Error())
		}
		if err != nil {
			return fmt.Errorf("donations: settle post %d: %w", p.ID, err)
		}
	}
	return nil
}

func (j *Job) post(ctx context.Context, srv Server, p Post) error {
	nonce := j.o.Nonce(p.ID)
	if p.Summary {
		n, cents, err := j.store.Totals(ctx, p.ServiceID)
		if err != nil {
			return fmt.Errorf("totals: %w", err)
		}
		return j.ann.Imported(ctx, srv, n, cents, nonce)
	}
	b, donor, err := j.store.Boost(ctx, p.ServiceID, p.BoostID)
	if err != nil {
		return fmt.Errorf("boost: %w", err)
	}
	if p.Username != "" && strings.EqualFold(p.Username, b.Username) {
		b.Username = p.Username
	}
	month := j.o.Now()
	if !b.BoostedAt.IsZero() {
		month = b.BoostedAt
	}
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	cents, n, err := j.store.MonthTotal(ctx, srv.GuildID, month)
	if err != nil {
		return fmt.Errorf("month total: %w", err)
	}
	return j.ann.Boost(ctx, srv, b, cents, n, donor, nonce)
}

// unsupported reports API answers that mean "this service has no boost
// history".
func unsupported(err error) bool {
	var ae *nitrado.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Status {
	case 400, 403, 404, 405, 422:
		return true
	}
	return strings.Contains(strings.ToLower(ae.Error()), "only supported")
}

func (j *Job) server(ctx context.Context, s Server) error {
	now := j.o.Now()
	j.mu.Lock()
	prev := j.status[s.ServiceID]
	j.mu.Unlock()
	if prev.State == stateUnsupported && now.Sub(prev.Checked) < j.o.UnsupportedRetry {
		return nil
	}
	rates := j.store.Rates(ctx, s.GuildID)
	if !prev.Checked.IsZero() && strings.HasPrefix(prev.State, "ok") && now.Sub(prev.Checked) < rates.Poll {
		return nil
	}
	key := "boosts:" + strconv.FormatInt(s.ServiceID, 10)
	raw, err := j.store.Cursor(ctx, key)
	if err != nil {
		return fmt.Errorf("donations: %d: cursor: %w", s.ServiceID, err)
	}
	var cur cursor
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &cur) // a bad cursor restarts the walk (dedupe makes it safe)
	}
	page := max(cur.Page, 1)
	resumed := cur.Page > 1
	recorded := 0
	for ; page <= nitrado.MaxBoostPages; page++ {
		p, err := j.api.BoostHistory(ctx, s.ServiceID, page)
		if err != nil {
			if unsupported(err) {
				j.setStatus(s.ServiceID, Status{State: stateUnsupported, Checked: now})
				return nil
			}
			// 429/503/network: the cursor already points at this page.
			j.setStatus(s.ServiceID, Status{State: "retrying: " + err.Error(), Checked: now, Boosts: recorded})
			return nil
		}
		bs := make([]Boost, 0, len(p.Boosts))
		for _, nb := range p.Boosts {
			b := Normalize(s, nb, rates)
			b.Imported = !cur.Imported
			bs = append(bs, b)
		}
		last := len(p.Boosts) == 0 || page >= p.PageCount
		next := cur
		if last {
			next.Page = 0
		} else {
			next.Page = page + 1
		}
		if !cur.Imported {
			next.Imported = last
		}
		var summary *Server
		if last && !cur.Imported {
			summary = &s // the import is complete: one summary post instead of a flood
		}
		created, err := j.store.Record(ctx, key, encode(next), bs, summary)
		if err != nil {
			return fmt.Errorf("donations: %d: record: %w", s.ServiceID, err)
		}
		recorded += len(created)
		j.afterRecord(ctx, s, created)
		if last {
			break
		}
		// Newest-first history: a page with nothing new means the rest is
		// known. Oldest-first (or unknown) order: read every page.
		if cur.Imported && !resumed && len(created) == 0 && newestFirst(p) {
			next.Page = 0
			if _, err := j.store.Record(ctx, key, encode(next), nil, nil); err != nil {
				return fmt.Errorf("donations: %d: cursor: %w", s.ServiceID, err)
			}
			break
		}
		cur.Page = next.Page
	}
	j.setStatus(s.ServiceID, Status{State: "ok", Checked: now, Boosts: recorded})
	return nil
}

const stateUnsupported = "not supported by this service"

func encode(c cursor) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// afterRecord links donors whose boost message carries a link code and
// flags suspect boosts to staff; the posts were queued with the boosts.
func (j *Job) afterRecord(ctx context.Context, s Server, created []Boost) {
	for _, b := range created {
		if j.o.FindCode != nil && b.Username != "" {
			if code := j.o.FindCode(b.Message); code != "" {
				if _, _, err := j.store.RedeemCode(ctx, s.GuildID, code, b.Username); err != nil {
					j.o.Logger.Info("boost link code not redeemed", "server", s.ServiceID, "boost", b.BoostID, "err", err)
				}
			}
		}
		if len(b.Flags) > 0 && j.inc != nil {
			_ = j.inc.Raise(ctx, "boost_flagged", s.GuildID, fmt.Sprintf("boost %d by %q", b.BoostID, b.Username), s.ServiceID,
				fmt.Sprintf("recorded with what is known; check %s (amount %q, extended_for %s); credit by hand if due",
					strings.Join(b.Flags, ", "), b.AmountRaw, b.ExtendedFor), fmt.Sprintf("boost:%d:%d", s.ServiceID, b.BoostID))
		}
	}
}

// newestFirst reports whether a page lists boosts newest first.
func newestFirst(p *nitrado.BoostPage) bool {
	if len(p.Boosts) < 2 {
		return false
	}
	first, last := p.Boosts[0].BoostedAt.Time, p.Boosts[len(p.Boosts)-1].BoostedAt.Time
	return !first.IsZero() && !last.IsZero() && first.After(last)
}

// maxExtend is the most a boost can plausibly extend a rental.
const maxExtend = 366 * 24 * time.Hour

// Normalize turns an API boost into a recorded one, flagging what is
// missing or absurd and computing its GP: floor(amount × PerUnit + days ×
// PerDay), where days = extended_for / 86400 (fractional); a flagged part
// counts 0.
func Normalize(s Server, nb nitrado.Boost, r Rates) Boost {
	b := Boost{ServiceID: s.ServiceID, BoostID: nb.ID, GuildID: s.GuildID, Username: strings.TrimSpace(nb.Username),
		ExtendedFor: nb.ExtendedFor, AmountRaw: nb.Amount, Message: nb.Message, BoostedAt: nb.BoostedAt.Time}
	if b.Username == "" {
		b.Flags = append(b.Flags, "username")
	}
	if b.BoostedAt.IsZero() {
		b.Flags = append(b.Flags, "boosted_at")
	}
	if b.BoostID <= 0 {
		// No id: dedupe on (username, boosted_at), as older bots did.
		h := fnv.New64a()
		fmt.Fprintf(h, "%s|%d", strings.ToLower(b.Username), b.BoostedAt.Unix())
		b.BoostID = -int64(h.Sum64() >> 1)
		b.Flags = append(b.Flags, "id")
	}
	days := 0.0
	if b.ExtendedFor <= 0 || b.ExtendedFor > maxExtend {
		b.Flags = append(b.Flags, "extended_for")
	} else {
		days = b.ExtendedFor.Hours() / 24
	}
	cents, cur, ok := ParseAmount(nb.Amount)
	if ok {
		b.Cents, b.Currency = cents, cur
	} else {
		b.Flags = append(b.Flags, "amount")
	}
	gp := float64(b.Cents)/100*r.PerUnit + days*r.PerDay
	if gp > 0 && gp < 1e9 {
		b.GP = int64(math.Floor(gp))
	}
	return b
}

// ParseAmount parses a display amount such as "$1.00", "1.00 USD" or
// "€5.50" into hundredths and an ISO currency. A comma decimal ("€1,00"),
// an empty string or anything else unclear is not guessed: ok=false.
func ParseAmount(s string) (cents int64, currency string, ok bool) {
	s = strings.TrimSpace(s)
	symbols := []struct{ sym, iso string }{{"US$", "USD"}, {"$", "USD"}, {"€", "EUR"}, {"£", "GBP"}}
	for _, x := range symbols {
		if strings.HasPrefix(s, x.sym) {
			s, currency = strings.TrimSpace(strings.TrimPrefix(s, x.sym)), x.iso
			break
		}
		if strings.HasSuffix(s, x.sym) {
			s, currency = strings.TrimSpace(strings.TrimSuffix(s, x.sym)), x.iso
			break
		}
	}
	if currency == "" {
		if f := strings.Fields(s); len(f) == 2 && len(f[1]) == 3 {
			s, currency = f[0], strings.ToUpper(f[1])
		}
	}
	if currency == "" || s == "" || strings.Contains(s, ",") {
		return 0, "", false
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, "", false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e7 {
		return 0, "", false
	}
	c := w * 100
	if hasFrac {
		for len(frac) < 2 {
			frac += "0"
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, "", false
		}
		c += f
	}
	return c, currency, true
}
