// Package awards credits Activity Points for play time. A run splits the
// time since the last run into periods (ap_period), sums each linked
// player's time online per period over the guild's servers (weighted by
// per-server multipliers), and credits rate × share of the period, plus a
// consecutive-day bonus, capped per UTC day. Each award's idempotency key
// names the (account, period), so a re-run, a restart or two overlapping
// runs award once. There is no AFK detection: time online counts.
package awards

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Session is one play session on a server. Left is zero while open; an open
// session counts up to Seen (the last time the player was seen online).
type Session struct {
	ServiceID int64
	EOSID     string
	Joined    time.Time
	Left      time.Time
	Seen      time.Time
}

// Config is one guild's award rules.
type Config struct {
	Rate        float64       // points per full period played
	Period      time.Duration // ≥ 5m
	DailyCap    int64         // ≤ 0: none
	StreakBonus float64       // percent per consecutive earlier day played
	StreakDays  int           // days counted for the bonus
	Multipliers map[int64]float64
	Servers     []int64 // the guild's servers
}

// Award is one credit for an account and period.
type Award struct {
	Account string
	Day     string // UTC day of the period
	Points  int64
	Key     string
	Ref     string
}

// Source is what a run reads and writes; app wires it to storage.
type Source interface {
	Guilds(ctx context.Context) ([]string, error)
	Config(ctx context.Context, guildID string) (Config, error)
	// Sessions returns the sessions on serviceIDs that overlap [from, to).
	Sessions(ctx context.Context, serviceIDs []int64, from, to time.Time) ([]Session, error)
	// Accounts maps linked EOS ids (lower-case) to Discord accounts.
	Accounts(ctx context.Context, guildID string) (map[string]string, error)
	// AwardDays returns per account the days since sinceDay with awards.
	AwardDays(ctx context.Context, guildID, sinceDay string) (map[string]map[string]int64, error)
	// Credit credits awards (capped per day, each key once) and returns
	// how many entries and points were new.
	Credit(ctx context.Context, guildID string, awards []Award, dailyCap int64) (int, int64, error)
	Cursor(ctx context.Context, key string) (string, error)
	SetCursor(ctx context.Context, key, value string) error
}

// Result sums one run.
type Result struct {
	Guilds, Awards int
	Points         int64
}

// Lookback bounds how far back a run reaches (after downtime longer than
// this, older play time is not awarded).
const Lookback = 48 * time.Hour

const dayFormat = "2006-01-02"

// Run awards every guild's completed periods up to now.
func Run(ctx context.Context, src Source, now time.Time) (Result, error) {
	var res Result
	guilds, err := src.Guilds(ctx)
	if err != nil {
		return res, fmt.Errorf("awards: guilds: %w", err)
	}
	for _, g := range guilds {
		n, pts, err := RunGuild(ctx, src, g, now)
		if err != nil {
			return res, err
		}
		res.Guilds++
		res.Awards += n
		res.Points += pts
	}
	return res, nil
}

// RunGuild awards one guild's completed periods up to now.
func RunGuild(ctx context.Context, src Source, guildID string, now time.Time) (int, int64, error) {
	cfg, err := src.Config(ctx, guildID)
	if err != nil {
		return 0, 0, fmt.Errorf("awards: %s: config: %w", guildID, err)
	}
	if cfg.Period < 5*time.Minute {
		cfg.Period = time.Hour
	}
	if cfg.Rate <= 0 || len(cfg.Servers) == 0 {
		return 0, 0, nil
	}
	now = now.UTC()
	end := now.Truncate(cfg.Period)
	start := end.Add(-Lookback)
	curKey := "awards:" + guildID
	if v, err := src.Cursor(ctx, curKey); err != nil {
		return 0, 0, fmt.Errorf("awards: %s: cursor: %w", guildID, err)
	} else if ns, err := strconv.ParseInt(v, 10, 64); err == nil && time.Unix(0, ns).After(start) {
		start = time.Unix(0, ns).UTC()
	}
	if !start.Before(end) {
		return 0, 0, nil
	}
	sessions, err := src.Sessions(ctx, cfg.Servers, start, end)
	if err != nil {
		return 0, 0, fmt.Errorf("awards: %s: sessions: %w", guildID, err)
	}
	accounts, err := src.Accounts(ctx, guildID)
	if err != nil {
		return 0, 0, fmt.Errorf("awards: %s: accounts: %w", guildID, err)
	}
	awards := Compute(cfg, guildID, sessions, accounts, start, end, now)
	if cfg.StreakBonus > 0 && cfg.StreakDays > 0 && len(awards) > 0 {
		since := start.AddDate(0, 0, -cfg.StreakDays-1).Format(dayFormat)
		days, err := src.AwardDays(ctx, guildID, since)
		if err != nil {
			return 0, 0, fmt.Errorf("awards: %s: award days: %w", guildID, err)
		}
		ApplyStreak(awards, days, cfg.StreakBonus, cfg.StreakDays)
	}
	n, pts, err := src.Credit(ctx, guildID, awards, cfg.DailyCap)
	if err != nil {
		return 0, 0, fmt.Errorf("awards: %s: credit: %w", guildID, err)
	}
	if err := src.SetCursor(ctx, curKey, strconv.FormatInt(end.UnixNano(), 10)); err != nil {
		return n, pts, fmt.Errorf("awards: %s: cursor: %w", guildID, err)
	}
	return n, pts, nil
}

type slot struct {
	account string
	bucket  int64 // period start, unix ns
}

// Compute turns sessions into awards for the periods in [start, end).
func Compute(cfg Config, guildID string, sessions []Session, accounts map[string]string, start, end, now time.Time) []Award {
	weighted := map[slot]float64{} // seconds × multiplier
	maxMult := map[slot]float64{}
	var order []slot
	p := cfg.Period
	for _, s := range sessions {
		acct, ok := accounts[s.EOSID]
		if !ok {
			continue
		}
		to := s.Left
		if to.IsZero() {
			to = s.Seen
		}
		if to.After(now) {
			to = now
		}
		from := s.Joined
		if from.Before(start) {
			from = start
		}
		if to.After(end) {
			to = end
		}
		if !from.Before(to) {
			continue
		}
		m := 1.0
		if v, ok := cfg.Multipliers[s.ServiceID]; ok {
			m = v
		}
		for b := from.Truncate(p); b.Before(to); b = b.Add(p) {
			lo, hi := maxTime(b, from), minTime(b.Add(p), to)
			if !lo.Before(hi) {
				continue
			}
			k := slot{acct, b.UnixNano()}
			if _, seen := weighted[k]; !seen {
				order = append(order, k)
			}
			weighted[k] += hi.Sub(lo).Seconds() * m
			maxMult[k] = math.Max(maxMult[k], m)
		}
	}
	out := make([]Award, 0, len(order))
	for _, k := range order {
		// Two sessions at once (two servers, or a duplicate) never earn
		// more than the best server's full period.
		w := math.Min(weighted[k], p.Seconds()*maxMult[k])
		pts := int64(math.Floor(cfg.Rate * w / p.Seconds()))
		if pts <= 0 {
			continue
		}
		b := time.Unix(0, k.bucket).UTC()
		out = append(out, Award{Account: k.account, Day: b.Format(dayFormat), Points: pts,
			Key: fmt.Sprintf("award:%s:%s:%d:%d", guildID, k.account, b.Unix(), int64(p/time.Second)),
			Ref: "play " + b.Format("2006-01-02 15:04") + " UTC, " + p.String()})
	}
	return out
}

// ApplyStreak adds bonus percent per consecutive day (before the award's
// day, up to maxDays) on which the account was awarded points.
func ApplyStreak(awards []Award, days map[string]map[string]int64, bonus float64, maxDays int) {
	for i := range awards {
		a := &awards[i]
		d, err := time.Parse(dayFormat, a.Day)
		if err != nil {
			continue
		}
		streak := 0
		for k := 1; k <= maxDays; k++ {
			if days[a.Account][d.AddDate(0, 0, -k).Format(dayFormat)] <= 0 {
				break
			}
			streak++
		}
		a.Points += int64(math.Floor(float64(a.Points) * bonus / 100 * float64(streak)))
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
