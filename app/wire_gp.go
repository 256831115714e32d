package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/ap"
	"github.com/blissark/bliss/bots/embed"
	"github.com/blissark/bliss/bots/gp"
	"github.com/blissark/bliss/bots/master"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/jobs/donations"
	"github.com/blissark/bliss/storage"
)

// Donations job name and schedule; each server is read every gp_boost_poll.
const (
	donationsJob  = "economy/donations"
	donationsSpec = "@every 1m"
)

func (d *economyDeps) gpDeps() gp.Deps {
	return gp.Deps{Store: d.gpStore, Donors: &gpDonors{db: d.db}, Guilds: d.guilds, Staff: d.staff, Audit: d.audit}
}

// embedPoster posts an embed to a channel with a nonce (enforce_nonce).
type embedPoster func(ctx context.Context, channelID string, e *discordgo.MessageEmbed, nonce string) error

// newDonationsJob builds the boost ingestion over storage; post sends an
// embed to a channel (the GP bot's session).
func (d *economyDeps) newDonationsJob(api donations.Nitrado, post embedPoster, now func() time.Time) *donations.Job {
	return donations.New(&donationsStore{db: d.db, guilds: d.guilds}, api, &announcer{guilds: d.guilds, post: post},
		donationIncidents{d}, donations.Options{FindCode: ap.FindCode, Now: now, Nonce: storage.OutboxNonce})
}

// wireGP wires the GP bot and the boost ingestion job.
func (a *appliance) wireGP(ctx context.Context) error {
	d := a.economy
	if err := a.sup.Handle(bots.GP, gp.New(d.gpDeps())); err != nil {
		return fmt.Errorf("bots: gp: %w", err)
	}
	job := d.newDonationsJob(a.nitrado, a.postAs(bots.GP), time.Now)
	d.donations = job
	a.mon.sources = append(a.mon.sources, func(context.Context) []ComponentStatus { return donationStatus(job) })
	return a.sched.AddJob(donationsJob, donationsSpec, jobs.JobOptions{PauseWhenDegraded: true}, job.Run)
}

// donationStatus shows each server's boost ingestion in /status and
// /healthz: a service without boost history is "disabled", not an error.
func donationStatus(j *donations.Job) []ComponentStatus {
	var out []ComponentStatus
	for id, st := range j.Statuses() {
		c := ComponentStatus{Name: fmt.Sprintf("donations/%d", id), State: StateOK, Detail: st.State}
		switch {
		case st.State == "not supported by this service":
			c.State = StateDisabled
		case strings.HasPrefix(st.State, "retrying"):
			c.State = StateDegraded
		}
		out = append(out, c)
	}
	return out
}

// postAs posts an embed with a bot's session (falling back to Master).
func (a *appliance) postAs(k bots.BotKind) embedPoster {
	return func(ctx context.Context, channelID string, e *discordgo.MessageEmbed, nonce string) error {
		s := a.sup.Session(k)
		if s == nil {
			s = a.sup.Session(bots.Master)
		}
		if s == nil {
			return fmt.Errorf("post: no bot connected")
		}
		return sendEmbedNonce(ctx, s, channelID, e, nonce)
	}
}

// sendEmbedNonce posts one embed with nonce + enforce_nonce (discordgo's
// MessageSend has no nonce) and no allowed mentions: the same nonce again
// returns the first message instead of posting a second.
func sendEmbedNonce(ctx context.Context, s *discordgo.Session, channelID string, e *discordgo.MessageEmbed, nonce string) error {
	body := map[string]any{"embeds": []*discordgo.MessageEmbed{e}, "allowed_mentions": map[string]any{"parse": []string{}}}
	if nonce != "" {
		body["nonce"], body["enforce_nonce"] = nonce, true
	}
	ep := discordgo.EndpointChannelMessages(channelID)
	_, err := s.RequestWithBucketID("POST", ep, body, ep, discordgo.WithContext(ctx))
	return err
}

// donationsRecheck makes the next donations run read every server now.
func (d *economyDeps) donationsRecheck() {
	if d.donations != nil {
		d.donations.Recheck()
	}
}

type donationIncidents struct{ d *economyDeps }

func (i donationIncidents) Raise(ctx context.Context, kind, guildID, subject string, serviceID int64, details, key string) error {
	return i.d.raiseIncident(ctx, kind, guildID, subject, serviceID, details, key, nil)
}

// gpDonors is gp.Donors over storage.
type gpDonors struct{ db *storage.DB }

func (g *gpDonors) NewCode(ctx context.Context, guildID, discordID, username string, ttl time.Duration) (string, error) {
	return g.db.NewLinkCode(ctx, guildID, discordID, storage.CodeNitrado, strings.ToLower(username), ttl)
}

func (g *gpDonors) Link(ctx context.Context, guildID, username, discordID, by string) (int64, error) {
	n, err := g.db.LinkDonor(ctx, guildID, username, discordID, by)
	return n, ecoErr(err)
}

func (g *gpDonors) Usernames(ctx context.Context, guildID, discordID string) ([]string, error) {
	return g.db.DonorUsernames(ctx, guildID, discordID)
}

func (g *gpDonors) Boosts(ctx context.Context, guildID string, names []string, from, to time.Time, limit, offset int) ([]gp.Boost, int, int64, error) {
	bs, n, cents, err := g.db.Boosts(ctx, storage.BoostFilter{GuildID: guildID, Usernames: names, From: from, To: to}, limit, offset)
	out := make([]gp.Boost, len(bs))
	for i, b := range bs {
		out[i] = gp.Boost{ServiceID: b.ServiceID, BoostID: b.BoostID, Username: b.Username, ExtendedFor: b.ExtendedFor,
			AmountRaw: b.AmountRaw, Cents: b.Cents, Message: b.Message, BoostedAt: b.BoostedAt, Flags: b.Flags, GP: b.GP, Credited: b.Credited}
	}
	return out, n, cents, err
}

// donationsStore is donations.Store over storage.
type donationsStore struct {
	db     *storage.DB
	guilds bots.GuildStore
}

func (s *donationsStore) Servers(ctx context.Context) ([]donations.Server, error) {
	srvs, err := s.db.AllServers(ctx)
	out := make([]donations.Server, 0, len(srvs))
	for _, sv := range srvs {
		out = append(out, donations.Server{GuildID: sv.GuildID, ServiceID: sv.ServiceID, Name: sv.Name})
	}
	return out, err
}

func (s *donationsStore) Rates(ctx context.Context, guildID string) donations.Rates {
	gs, _ := s.guilds.GuildSettings(ctx, guildID)
	return donations.Rates{PerUnit: gs.Number(gp.SettingPerUnit), PerDay: gs.Number(gp.SettingPerDay), Poll: gs.Duration(gp.SettingPoll)}
}

func (s *donationsStore) Cursor(ctx context.Context, key string) (string, error) {
	return s.db.Cursor(ctx, key)
}

func (s *donationsStore) Record(ctx context.Context, key, value string, bs []donations.Boost, summaryOf *donations.Server) ([]donations.Boost, error) {
	in := make([]storage.Boost, len(bs))
	for i, b := range bs {
		in[i] = storage.Boost{ServiceID: b.ServiceID, BoostID: b.BoostID, GuildID: b.GuildID, Username: b.Username,
			ExtendedFor: b.ExtendedFor, AmountRaw: b.AmountRaw, Cents: b.Cents, Currency: b.Currency, Message: b.Message,
			BoostedAt: b.BoostedAt, Flags: b.Flags, GP: b.GP, Imported: b.Imported}
	}
	var sum *storage.BoostSummary
	if summaryOf != nil {
		sum = &storage.BoostSummary{GuildID: summaryOf.GuildID, ServiceID: summaryOf.ServiceID}
	}
	created, err := s.db.RecordBoosts(ctx, key, value, in, sum)
	out := make([]donations.Boost, len(created))
	for i, b := range created {
		out[i] = donations.Boost{ServiceID: b.ServiceID, BoostID: b.BoostID, GuildID: b.GuildID, Username: b.Username,
			ExtendedFor: b.ExtendedFor, AmountRaw: b.AmountRaw, Cents: b.Cents, Currency: b.Currency, Message: b.Message,
			BoostedAt: b.BoostedAt, Flags: b.Flags, GP: b.GP, Imported: b.Imported, Credited: b.Credited}
	}
	return out, err
}

func (s *donationsStore) DuePosts(ctx context.Context, now time.Time, limit int) ([]donations.Post, error) {
	rows, err := s.db.OutboxDue(ctx, storage.DonationKind, now, limit)
	out := make([]donations.Post, 0, len(rows))
	for _, r := range rows {
		var p storage.DonationPost
		if json.Unmarshal(r.Payload, &p) != nil || p.ServiceID == 0 {
			_ = s.db.OutboxSetState(ctx, r.ID, storage.OutboxFailed, "unreadable donation post payload")
			continue
		}
		out = append(out, donations.Post{ID: r.ID, Attempts: r.Attempts, GuildID: r.GuildID, ServiceID: p.ServiceID,
			BoostID: p.BoostID, Username: p.Username, Summary: p.Summary})
	}
	return out, err
}

func (s *donationsStore) PostDone(ctx context.Context, id int64, note string) error {
	if note != "" {
		return s.db.OutboxSetState(ctx, id, storage.OutboxDone, note)
	}
	return s.db.OutboxDone(ctx, id)
}

func (s *donationsStore) PostRetry(ctx context.Context, id int64, next time.Time, note string) error {
	return s.db.OutboxRetry(ctx, id, next, note)
}

func (s *donationsStore) PostFailed(ctx context.Context, id int64, note string) error {
	return s.db.OutboxSetState(ctx, id, storage.OutboxFailed, note)
}

func (s *donationsStore) Boost(ctx context.Context, serviceID, boostID int64) (donations.Boost, string, error) {
	b, err := s.db.BoostByID(ctx, serviceID, boostID)
	if err != nil {
		return donations.Boost{}, "", err
	}
	donor := ""
	if b.Username != "" {
		if l, err := s.db.DonorLink(ctx, b.GuildID, b.Username); err == nil {
			donor = l.DiscordID
		} else if !errors.Is(err, storage.ErrNotFound) {
			return donations.Boost{}, "", err
		}
	}
	return donations.Boost{ServiceID: b.ServiceID, BoostID: b.BoostID, GuildID: b.GuildID, Username: b.Username,
		ExtendedFor: b.ExtendedFor, AmountRaw: b.AmountRaw, Cents: b.Cents, Currency: b.Currency, Message: b.Message,
		BoostedAt: b.BoostedAt, Flags: b.Flags, GP: b.GP, Imported: b.Imported, Credited: b.Credited}, donor, nil
}

func (s *donationsStore) RedeemCode(ctx context.Context, guildID, code, username string) (string, int64, error) {
	return s.db.RedeemDonorCode(ctx, guildID, code, username)
}

func (s *donationsStore) MonthTotal(ctx context.Context, guildID string, month time.Time) (int64, int, error) {
	_, n, cents, err := s.db.Boosts(ctx, storage.BoostFilter{GuildID: guildID, From: month, To: month.AddDate(0, 1, 0)}, 1, 0)
	return cents, n, err
}

func (s *donationsStore) Totals(ctx context.Context, serviceID int64) (int, int64, error) {
	return s.db.BoostTotals(ctx, serviceID)
}

// announcer posts donation embeds to the guild's donations log channel.
type announcer struct {
	guilds bots.GuildStore
	post   embedPoster
}

func (a *announcer) channel(ctx context.Context, guildID string) string {
	gs, err := a.guilds.GuildSettings(ctx, guildID)
	if err != nil {
		return ""
	}
	return gs.LogChannels["donations"]
}

func (a *announcer) Boost(ctx context.Context, srv donations.Server, b donations.Boost, monthCents int64, monthN int, donor, nonce string) error {
	ch := a.channel(ctx, srv.GuildID)
	if ch == "" {
		return donations.ErrNoChannel
	}
	who := bots.SanitizeName(b.Username, 32)
	if who == "" {
		who = "Someone"
	}
	e := embed.New().Title(who+" boosted "+bots.SanitizeName(srv.Name, 64)+"!").Color(embed.ColorSuccess).
		Field("Amount", orDash(bots.SanitizeName(b.AmountRaw, 20)), true).
		Field("Extended", fmt.Sprintf("%.1f days", b.ExtendedFor.Hours()/24), true)
	if msg := bots.SanitizeChat(b.Message, 300); msg != "" {
		e.Description("“" + msg + "”")
	}
	if donor != "" {
		e.Field("Donor", "<@"+donor+">", true)
	}
	if b.GP > 0 {
		gpText := fmt.Sprint(b.GP)
		if b.Credited {
			gpText += " (credited)"
		}
		e.Field("GP", gpText, true)
	}
	if len(b.Flags) > 0 {
		e.Field("⚠️ Check", "recorded with what is known: "+strings.Join(b.Flags, ", "), false)
	}
	if !b.BoostedAt.IsZero() {
		e.Timestamp(b.BoostedAt)
	}
	e.Footer(fmt.Sprintf("%d boosts this month · total %s", monthN, gp.Money(monthCents)))
	return a.post(ctx, ch, e.Embed(), nonce)
}

func (a *announcer) Imported(ctx context.Context, srv donations.Server, n int, cents int64, nonce string) error {
	ch := a.channel(ctx, srv.GuildID)
	if ch == "" {
		return donations.ErrNoChannel
	}
	if n == 0 {
		return nil
	}
	return a.post(ctx, ch, embed.New().Title("Boost history imported").
		Description(fmt.Sprintf("%d earlier boosts of %s (total %s) were recorded without announcing each. "+
			"Donors who link with `/gp link` are credited for them once.", n, bots.SanitizeName(srv.Name, 64), gp.Money(cents))).Embed(), nonce)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// economyStatus adds each server's boost ingestion to /status: a service
// whose API has no boost history reads "not supported by this service"
// (OK, not an error).
func (a *appliance) economyStatus(st *master.AppStatus) {
	if a.economy == nil || a.economy.donations == nil {
		return
	}
	sts := a.economy.donations.Statuses()
	ids := make([]int64, 0, len(sts))
	for id := range sts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := sts[id]
		h := master.Health{Name: fmt.Sprintf("boost history %d", id), OK: !strings.HasPrefix(s.State, "retrying"), State: s.State, LastRun: s.Checked}
		if !h.OK {
			h.State, h.LastError = "retrying", strings.TrimPrefix(s.State, "retrying: ")
		}
		st.Jobs = append(st.Jobs, h)
	}
}
