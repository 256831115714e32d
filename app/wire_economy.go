package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/ap"
	"github.com/blissark/bliss/bots/economy"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/jobs/awards"
	"github.com/blissark/bliss/jobs/delivery"
	"github.com/blissark/bliss/jobs/donations"
	"github.com/blissark/bliss/storage"
)

// Economy job names and schedules.
const (
	awardsJob     = "economy/awards"
	awardsSpec    = "@every 5m"
	deliveryJob   = "economy/delivery"
	deliverySpec  = "@every 30s"
	linkCodeMatch = "BL-"
)

// economyDeps are the storage adapters of the AP and GP bots and their
// jobs, built once.
type economyDeps struct {
	db        *storage.DB
	guilds    bots.GuildStore
	rcon      delivery.RCON
	raise     func(ctx context.Context, in bots.Incident) error // nil: none
	audit     bots.Auditor
	staff     bots.StaffSource
	apStore   *ecoStore
	gpStore   *ecoStore
	links     *apLinks
	verify    *ap.Verifier
	donations *donations.Job // set by wireGP
}

func newEconomyDeps(db *storage.DB, guilds bots.GuildStore, r delivery.RCON) *economyDeps {
	d := &economyDeps{db: db, guilds: guilds, rcon: r, staff: bots.StaffFromStore(guilds),
		apStore: &ecoStore{db: db, cur: storage.AP}, gpStore: &ecoStore{db: db, cur: storage.GP}}
	d.links = &apLinks{db: db, guilds: guilds}
	d.verify = ap.NewVerifier(d.apDeps())
	return d
}

func (d *economyDeps) apDeps() ap.Deps {
	return ap.Deps{Store: d.apStore, Links: d.links, Guilds: d.guilds, Staff: d.staff, Audit: d.audit, PlayerIDs: d.links}
}

// wireEconomy wires the AP bot, the awards job and the delivery job.
func (a *appliance) wireEconomy(ctx context.Context) error {
	d := newEconomyDeps(a.db, a.guilds, lazyRCON{a})
	d.raise = a.economyIncident
	d.audit = a.audit()
	a.economy = d
	if err := a.sup.Handle(bots.AP, ap.New(d.apDeps())); err != nil {
		return fmt.Errorf("bots: ap: %w", err)
	}
	if err := a.wireGP(ctx); err != nil {
		return err
	}
	src := &awardsSource{db: a.db, guilds: a.guilds}
	if err := a.sched.Add(awardsJob, awardsSpec, func(ctx context.Context) error {
		_, err := awards.Run(ctx, src, time.Now())
		return err
	}); err != nil {
		return err
	}
	dj := delivery.New(&deliveryStore{db: a.db, guilds: a.guilds, links: d.links}, d.rcon, incidentsFunc(d.raiseIncident),
		delivery.Options{Logger: a.log.With("component", "delivery")})
	if err := dj.Start(ctx); err != nil {
		return err
	}
	if err := a.sched.Add(deliveryJob, deliverySpec, func(ctx context.Context) error {
		_, err := dj.Tick(ctx)
		return err
	}); err != nil {
		return err
	}
	log := a.log.With("component", "delivery")
	a.svcs = append(a.svcs, service{"delivery-wake", func(ctx context.Context) error {
		return runDeliveryWake(ctx, dj, a.db, func(ctx context.Context) error { return a.sched.Trigger(ctx, deliveryJob) }, log)
	}})
	return nil
}

// deliveryWakeEvery is how often the play sessions the live feed records
// are checked for buyers whose orders wait for them.
const deliveryWakeEvery = 5 * time.Second

// runDeliveryWake delivers an offline buyer's order when they join: every
// deliveryWakeEvery it looks whether the live feed has an open session (a
// join line, a ListPlayers roster) for a buyer the delivery job waits for,
// and if so makes the order due and runs the delivery job at once. The
// job's own recheck of offline buyers stays as the fallback.
func runDeliveryWake(ctx context.Context, dj *delivery.Job, db *storage.DB, run func(context.Context) error, log *slog.Logger) error {
	t := time.NewTicker(deliveryWakeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := wakeDeliveries(ctx, dj, db)
		if err != nil {
			log.Warn("delivery wake", "err", err)
			continue
		}
		if n == 0 {
			continue
		}
		// A run already going (ErrRunning) or paused leaves the rows due:
		// the next run takes them.
		if err := run(ctx); err != nil && !errors.Is(err, jobs.ErrRunning) && ctx.Err() == nil {
			log.Warn("delivery after join", "err", err)
		}
	}
}

// wakeDeliveries makes the orders of waiting buyers who are online now due
// and returns how many.
func wakeDeliveries(ctx context.Context, dj *delivery.Job, db *storage.DB) (int, error) {
	waiting := dj.Waiting()
	if len(waiting) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(waiting))
	for eos := range waiting {
		ids = append(ids, eos)
	}
	online, err := db.OnlineAmong(ctx, ids)
	if err != nil {
		return 0, err
	}
	return dj.Wake(ctx, online)
}

// OnGlobalChat hands a player's global chat line to the AP link-code
// verifier; the live feed's chat hook calls it. name is the platform name
// (its EOS id comes from the player's current session), character the
// character name.
func (a *appliance) OnGlobalChat(ctx context.Context, serviceID int64, name, character, text string) {
	if a.economy == nil || !strings.Contains(strings.ToUpper(text), linkCodeMatch) {
		return
	}
	if _, err := a.economy.onChat(ctx, serviceID, name, character, text); err != nil {
		a.log.Warn("link code check failed", "server", serviceID, "err", err)
	}
}

func (d *economyDeps) onChat(ctx context.Context, serviceID int64, name, character, text string) (string, error) {
	srvs, err := d.db.AllServers(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range srvs {
		if s.ServiceID != serviceID {
			continue
		}
		eos, err := d.db.SessionPlayerByName(ctx, []int64{serviceID}, name)
		if err != nil || eos == "" {
			continue
		}
		who, err := d.verify.OnChat(ctx, s.GuildID, serviceID, eos, name, character, text)
		if err != nil || who != "" {
			return who, err
		}
	}
	return "", nil
}

func (a *appliance) economyIncident(ctx context.Context, in bots.Incident) error {
	if a.incidents == nil {
		return nil
	}
	return a.incidents.Raise(ctx, in)
}

func (d *economyDeps) raiseIncident(ctx context.Context, kind, guildID, subject string, serviceID int64, details, key string, actions map[string]string) error {
	if d.raise == nil {
		return nil
	}
	in := bots.Incident{Kind: kind, GuildID: guildID, Subject: subject, ServiceID: serviceID, Details: details, DedupeKey: key, At: time.Now()}
	for _, label := range []string{"Mark delivered", "Resend", "Refund"} {
		if id, ok := actions[label]; ok {
			in.Actions = append(in.Actions, bots.IncidentAction{Label: label, CustomID: id})
		}
	}
	return d.raise(ctx, in)
}

type incidentsFunc func(ctx context.Context, kind, guildID, subject string, serviceID int64, details, key string, actions map[string]string) error

func (f incidentsFunc) Raise(ctx context.Context, kind, guildID, subject string, serviceID int64, details, key string, actions map[string]string) error {
	return f(ctx, kind, guildID, subject, serviceID, details, key, actions)
}

// ecoErr maps storage's sentinels to economy's, keeping the message.
func ecoErr(err error) error {
	for _, m := range []struct{ from, to error }{
		{storage.ErrInsufficient, economy.ErrInsufficient}, {storage.ErrLimit, economy.ErrLimit},
		{storage.ErrCooldown, economy.ErrCooldown}, {storage.ErrState, economy.ErrState},
		{storage.ErrExpired, economy.ErrExpired}, {storage.ErrNotFound, economy.ErrNotFound},
		{storage.ErrConflict, economy.ErrConflict}, {storage.ErrInvalid, economy.ErrInvalid},
	} {
		if errors.Is(err, m.from) {
			return fmt.Errorf("%w: %w", m.to, err)
		}
	}
	return err
}

// ecoStore is economy.Store over the one ledger, for one currency.
type ecoStore struct {
	db  *storage.DB
	cur storage.Currency
}

var _ economy.Store = (*ecoStore)(nil)

func (s *ecoStore) Balance(ctx context.Context, guildID, account string) (int64, error) {
	return s.db.Balance(ctx, guildID, s.cur, account)
}

func (s *ecoStore) Post(ctx context.Context, guildID, account string, amount int64, reason, ref, key, actor string) (bool, error) {
	_, created, err := s.db.LedgerPost(ctx, storage.LedgerEntry{GuildID: guildID, Account: account, Kind: s.cur, Amount: amount,
		Reason: reason, Reference: ref, Key: key, Actor: actor})
	return created, ecoErr(err)
}

func (s *ecoStore) History(ctx context.Context, guildID, account string, limit, offset int) ([]economy.Entry, int, error) {
	es, n, err := s.db.LedgerHistory(ctx, guildID, s.cur, account, limit, offset)
	out := make([]economy.Entry, len(es))
	for i, e := range es {
		out[i] = economy.Entry{Amount: e.Amount, Reason: e.Reason, Reference: e.Reference, Actor: e.Actor, At: e.At}
	}
	return out, n, err
}

func (s *ecoStore) Leaderboard(ctx context.Context, guildID string, since time.Time, limit, offset int) ([]economy.Standing, int, error) {
	rs, n, err := s.db.Leaderboard(ctx, guildID, s.cur, since, limit, offset)
	out := make([]economy.Standing, len(rs))
	for i, r := range rs {
		out[i] = economy.Standing{Account: r.Account, Points: r.Points}
	}
	return out, n, err
}

func toItem(it storage.ShopItem) economy.Item {
	return economy.Item{ID: it.ID, Name: it.Name, Description: it.Description, Price: it.Price, Kind: it.Kind,
		Blueprint: it.Blueprint, Quantity: it.Quantity, Quality: it.Quality, AsBlueprint: it.AsBlueprint, Command: it.Command,
		MaxPerPlayer: it.MaxPerPlayer, Cooldown: it.Cooldown, Servers: it.Servers}
}

func (s *ecoStore) fromItem(guildID string, it economy.Item) storage.ShopItem {
	return storage.ShopItem{ID: it.ID, GuildID: guildID, Currency: s.cur, Name: it.Name, Description: it.Description,
		Price: it.Price, Kind: it.Kind, Blueprint: it.Blueprint, Quantity: it.Quantity, Quality: it.Quality,
		AsBlueprint: it.AsBlueprint, Command: it.Command, MaxPerPlayer: it.MaxPerPlayer, Cooldown: it.Cooldown,
		Servers: it.Servers, Active: true}
}

func (s *ecoStore) Items(ctx context.Context, guildID string) ([]economy.Item, error) {
	its, err := s.db.ShopItems(ctx, guildID, s.cur)
	out := make([]economy.Item, len(its))
	for i, it := range its {
		out[i] = toItem(it)
	}
	return out, err
}

func (s *ecoStore) Item(ctx context.Context, guildID, idOrName string) (economy.Item, error) {
	it, err := s.db.ShopItem(ctx, guildID, s.cur, idOrName)
	return toItem(it), ecoErr(err)
}

func (s *ecoStore) AddItem(ctx context.Context, guildID string, it *economy.Item) error {
	si := s.fromItem(guildID, *it)
	if err := s.db.ShopAdd(ctx, &si); err != nil {
		return ecoErr(err)
	}
	it.ID = si.ID
	return nil
}

func (s *ecoStore) UpdateItem(ctx context.Context, guildID string, it economy.Item) error {
	return ecoErr(s.db.ShopUpdate(ctx, s.fromItem(guildID, it)))
}

func (s *ecoStore) RemoveItem(ctx context.Context, guildID string, id int64) error {
	return ecoErr(s.db.ShopRemove(ctx, guildID, s.cur, id))
}

func toOrder(o storage.Order) economy.Order {
	return economy.Order{ID: o.ID, Account: o.Account, ItemName: o.ItemName, Price: o.Price, ServiceID: o.ServiceID,
		State: o.State, Failures: o.Failures, Note: o.Note, HandledBy: o.HandledBy, DeskMsg: o.DeskMsg, CreatedAt: o.CreatedAt}
}

func (s *ecoStore) Buy(ctx context.Context, guildID, account string, itemID, serviceID int64, key string) (economy.Order, bool, error) {
	o, created, err := s.db.Purchase(ctx, storage.PurchaseRequest{GuildID: guildID, Currency: s.cur, Account: account,
		ItemID: itemID, ServiceID: serviceID, Key: key})
	return toOrder(o), created, ecoErr(err)
}

func (s *ecoStore) Orders(ctx context.Context, guildID, account string, states []string, limit, offset int) ([]economy.Order, int, error) {
	os, n, err := s.db.Orders(ctx, storage.OrderFilter{GuildID: guildID, Currency: s.cur, Account: account, States: states}, limit, offset)
	out := make([]economy.Order, len(os))
	for i, o := range os {
		out[i] = toOrder(o)
	}
	return out, n, err
}

// order returns an order of this guild and currency.
func (s *ecoStore) order(ctx context.Context, guildID string, id int64) (storage.Order, error) {
	o, err := s.db.GetOrder(ctx, id)
	if err != nil {
		return o, ecoErr(err)
	}
	if o.GuildID != guildID || o.Currency != s.cur {
		return storage.Order{}, fmt.Errorf("%w: order %d", economy.ErrNotFound, id)
	}
	return o, nil
}

func (s *ecoStore) Order(ctx context.Context, guildID string, id int64) (economy.Order, error) {
	o, err := s.order(ctx, guildID, id)
	return toOrder(o), err
}

func (s *ecoStore) Transition(ctx context.Context, guildID string, id int64, from []string, to, note, actor string) (economy.Order, error) {
	if _, err := s.order(ctx, guildID, id); err != nil {
		return economy.Order{}, err
	}
	o, err := s.db.OrderTransition(ctx, id, from, to, note, actor)
	return toOrder(o), ecoErr(err)
}

func (s *ecoStore) Refund(ctx context.Context, guildID string, id int64, from []string, to, note, actor string) (economy.Order, error) {
	if _, err := s.order(ctx, guildID, id); err != nil {
		return economy.Order{}, err
	}
	o, err := s.db.RefundOrder(ctx, id, from, to, note, actor)
	return toOrder(o), ecoErr(err)
}

// apLinks is ap.Links and ap.PlayerIDs over storage.
type apLinks struct {
	db     *storage.DB
	guilds bots.GuildStore
}

func (l *apLinks) NewCode(ctx context.Context, guildID, discordID, name string, ttl time.Duration) (string, error) {
	return l.db.NewLinkCode(ctx, guildID, discordID, storage.CodeGame, name, ttl)
}

func (l *apLinks) Redeem(ctx context.Context, guildID, code, eosID string, names []string, playerID int64) (string, error) {
	link, err := l.db.RedeemGameCode(ctx, guildID, code, eosID, names, playerID)
	return link.DiscordID, ecoErr(err)
}

func (l *apLinks) Put(ctx context.Context, guildID string, k ap.Link) error {
	return ecoErr(l.db.PutLink(ctx, storage.Link{GuildID: guildID, DiscordID: k.DiscordID, EOSID: k.EOSID, Name: k.Name,
		PlayerID: k.PlayerID, LinkedBy: k.LinkedBy, LinkedAt: k.LinkedAt}))
}

func (l *apLinks) Unlink(ctx context.Context, guildID, discordID string) (bool, error) {
	return l.db.Unlink(ctx, guildID, discordID)
}

func (l *apLinks) ByDiscord(ctx context.Context, guildID, discordID string) (ap.Link, error) {
	k, err := l.db.LinkByDiscord(ctx, guildID, discordID)
	return ap.Link{DiscordID: k.DiscordID, EOSID: k.EOSID, Name: k.Name, PlayerID: k.PlayerID, LinkedBy: k.LinkedBy, LinkedAt: k.LinkedAt}, ecoErr(err)
}

// PlayerID finds ARK's numeric player id in the latest snapshots of the
// guild's servers.
func (l *apLinks) PlayerID(ctx context.Context, guildID, eosID string) (int64, error) {
	ss, err := l.guilds.Servers(ctx, guildID)
	if err != nil {
		return 0, err
	}
	for _, s := range ss {
		p, err := l.db.PlayerByEOS(ctx, s.ServiceID, eosID)
		if err == nil && p.PlayerDataID > 0 && p.PlayerDataID < 1<<62 {
			return int64(p.PlayerDataID), nil
		}
	}
	return 0, nil
}

// awardsSource is awards.Source over storage and the settings registry.
type awardsSource struct {
	db     *storage.DB
	guilds bots.GuildStore
}

func (s *awardsSource) Guilds(ctx context.Context) ([]string, error) {
	srvs, err := s.db.AllServers(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, sv := range srvs {
		if !seen[sv.GuildID] {
			seen[sv.GuildID] = true
			out = append(out, sv.GuildID)
		}
	}
	return out, nil
}

func (s *awardsSource) Config(ctx context.Context, guildID string) (awards.Config, error) {
	gs, err := s.guilds.GuildSettings(ctx, guildID)
	if err != nil {
		return awards.Config{}, err
	}
	ss, err := s.guilds.Servers(ctx, guildID)
	if err != nil {
		return awards.Config{}, err
	}
	c := awards.Config{Rate: gs.Number(ap.SettingRate), Period: gs.Duration(ap.SettingPeriod), DailyCap: int64(gs.Number(ap.SettingDailyCap)),
		StreakBonus: gs.Number(ap.SettingStreakBonus), StreakDays: int(gs.Number(ap.SettingStreakDays)),
		Multipliers: ap.ParseMultipliers(gs.Value(ap.SettingMultipliers))}
	for _, sv := range ss {
		c.Servers = append(c.Servers, sv.ServiceID)
	}
	return c, nil
}

func (s *awardsSource) Sessions(ctx context.Context, ids []int64, from, to time.Time) ([]awards.Session, error) {
	ss, err := s.db.AwardSessions(ctx, ids, from, to)
	out := make([]awards.Session, len(ss))
	for i, x := range ss {
		out[i] = awards.Session{ServiceID: x.ServiceID, EOSID: x.EOSID, Joined: x.Joined, Left: x.Left, Seen: x.Seen}
	}
	return out, err
}

func (s *awardsSource) Accounts(ctx context.Context, guildID string) (map[string]string, error) {
	return s.db.LinkedAccounts(ctx, guildID)
}

func (s *awardsSource) AwardDays(ctx context.Context, guildID, since string) (map[string]map[string]int64, error) {
	return s.db.AwardDays(ctx, guildID, since)
}

func (s *awardsSource) Credit(ctx context.Context, guildID string, as []awards.Award, dailyCap int64) (int, int64, error) {
	in := make([]storage.Award, len(as))
	for i, a := range as {
		in[i] = storage.Award{GuildID: guildID, Account: a.Account, Day: a.Day, Points: a.Points, Key: a.Key, Ref: a.Ref}
	}
	return s.db.AwardBatch(ctx, in, dailyCap)
}

func (s *awardsSource) Cursor(ctx context.Context, key string) (string, error) {
	return s.db.Cursor(ctx, key)
}

func (s *awardsSource) SetCursor(ctx context.Context, key, v string) error {
	return s.db.SetCursor(ctx, key, v)
}

// deliveryStore is delivery.Store over storage.
type deliveryStore struct {
	db     *storage.DB
	guilds bots.GuildStore
	links  *apLinks
}

func (s *deliveryStore) Due(ctx context.Context, now time.Time, limit int) ([]delivery.Item, error) {
	rows, err := s.db.OutboxDue(ctx, storage.DeliveryKind, now, limit)
	out := make([]delivery.Item, len(rows))
	for i, r := range rows {
		out[i] = delivery.Item{ID: r.ID, GuildID: r.GuildID, ServiceID: r.ServiceID, Payload: r.Payload}
	}
	return out, err
}

func (s *deliveryStore) OrderState(ctx context.Context, id int64) (string, error) {
	o, err := s.db.GetOrder(ctx, id)
	return o.State, err
}

func (s *deliveryStore) Player(ctx context.Context, guildID, account string) (delivery.Player, bool, error) {
	l, err := s.db.LinkByDiscord(ctx, guildID, account)
	if errors.Is(err, storage.ErrNotFound) {
		return delivery.Player{}, false, nil
	}
	if err != nil {
		return delivery.Player{}, false, err
	}
	if l.PlayerID == 0 { // learned from a save parsed since the link
		if id, _ := s.links.PlayerID(ctx, guildID, l.EOSID); id > 0 {
			l.PlayerID = id
			_ = s.db.SetLinkPlayerID(ctx, guildID, l.EOSID, id)
		}
	}
	return delivery.Player{EOSID: l.EOSID, PlayerID: l.PlayerID, Name: l.Name}, true, nil
}

func (s *deliveryStore) Servers(ctx context.Context, guildID string) ([]int64, error) {
	ss, err := s.guilds.Servers(ctx, guildID)
	out := make([]int64, len(ss))
	for i, sv := range ss {
		out[i] = sv.ServiceID
	}
	return out, err
}

func (s *deliveryStore) Retries(ctx context.Context, guildID string) int {
	gs, _ := s.guilds.GuildSettings(ctx, guildID)
	return int(gs.Number(ap.SettingRetries))
}

func (s *deliveryStore) Postpone(ctx context.Context, id int64, next time.Time, note string) error {
	return s.db.OutboxRetry(ctx, id, next, note)
}

func (s *deliveryStore) Close(ctx context.Context, id int64, note string) error {
	return s.db.OutboxSetState(ctx, id, storage.OutboxFailed, note)
}

func stateErr(err error) error {
	if errors.Is(err, storage.ErrState) {
		return fmt.Errorf("%w: %w", delivery.ErrState, err)
	}
	return err
}

func (s *deliveryStore) move(ctx context.Context, id int64, from, to, note string) error {
	_, err := s.db.OrderTransition(ctx, id, []string{from}, to, note, "")
	return stateErr(err)
}

func (s *deliveryStore) Sending(ctx context.Context, id int64) error {
	return s.move(ctx, id, storage.OrderPending, storage.OrderSending, "sending")
}

func (s *deliveryStore) Delivered(ctx context.Context, id int64, note string) error {
	return s.move(ctx, id, storage.OrderSending, storage.OrderDelivered, note)
}

func (s *deliveryStore) Unconfirmed(ctx context.Context, id int64, note string) error {
	return s.move(ctx, id, storage.OrderSending, storage.OrderUnconfirmed, note)
}

func (s *deliveryStore) Failed(ctx context.Context, id int64, note string) (int, error) {
	o, err := s.db.OrderFailed(ctx, id, note)
	if err != nil {
		return 0, err
	}
	if o.State != storage.OrderPending {
		return o.Failures, fmt.Errorf("%w: order %d is %s", delivery.ErrState, id, o.State)
	}
	return o.Failures, nil
}

func (s *deliveryStore) Refund(ctx context.Context, id int64, note string) error {
	_, err := s.db.RefundOrder(ctx, id, []string{storage.OrderPending, storage.OrderSending}, storage.OrderRefunded, note, "")
	return stateErr(err)
}

func (s *deliveryStore) Wake(ctx context.Context, ids []int64) ([]int64, error) {
	return s.db.WakeDeliveries(ctx, ids)
}

func (s *deliveryStore) Recover(ctx context.Context) (int, error) {
	os, err := s.db.RecoverSending(ctx)
	return len(os), err
}

// lazyRCON reads the appliance's pool at call time (wireServers builds it
// after the bots are wired).
type lazyRCON struct{ a *appliance }

func (r lazyRCON) Exec(ctx context.Context, id int64, cmd string) (string, error) {
	if r.a.rcon == nil {
		return "", errors.New("rcon: pool not ready")
	}
	return r.a.rcon.Exec(ctx, id, cmd)
}
