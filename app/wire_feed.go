package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/feedstore"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/jobs/livefeed"
	"github.com/blissark/bliss/storage"
)

// clusterChatSetting lists the clusters whose maps share their chat (cluster
// chat): a player's line on one map is relayed to the other maps, tagged.
var clusterChatSetting = bots.Setting{Key: "cluster_chat", Kind: bots.SettingText, Default: "",
	Help: "Clusters (names, comma-separated) whose maps share in-game chat; lines are tagged with the source map."}

// tribeThreadsSetting turns on a private tribe-log thread per tribe.
var tribeThreadsSetting = bots.Setting{Key: "tribe_log_threads", Kind: bots.SettingBool, Default: "false",
	Help: "Also post each tribe's log lines to a private thread of its own under the tribe log channel; add the tribe's members to it."}

// feedSyncJob adds and removes the per-server poll jobs.
const feedSyncJob = "feed/sync"

// feedReactionsJob adds the queued ✅/❌ reactions of relayed messages.
const feedReactionsJob = "feed/reactions"

// wireFeed builds the live feed (jobs/livefeed): one GetChat poll job per
// linked server every BLISS_CHAT_POLL, the Discord → game bridge on the
// Server bot's message events, play sessions and the chat hook to the AP
// link-code verifier. Must run after wireServer (the Server bot's router).
func (a *appliance) wireFeed(ctx context.Context) error {
	dir := &feedDirectory{a: a}
	session := func() *discordgo.Session { return a.sup.Session(bots.Server) }
	members, err := livefeed.NewMembers(livefeed.MembersOptions{
		Store:     feedstore.Members{DB: a.db},
		Discord:   feedDiscord{session: session},
		Directory: dir,
		Logger:    a.log.With("component", "livefeed"),
	})
	if err != nil {
		return fmt.Errorf("livefeed: %w", err)
	}
	f, err := livefeed.New(livefeed.Options{
		Store:     feedStore{a.db},
		Sessions:  feedSessions{a.db},
		RCON:      a.rcon,
		Files:     a.nitrado,
		Discord:   feedDiscord{session: session},
		Directory: dir,
		OnChat:    a.OnGlobalChat,
		OnTribeThread: func(ctx context.Context, t livefeed.TribeThread) {
			if err := members.SyncThread(ctx, t); err != nil {
				a.log.Warn("livefeed: tribe thread members", "thread", t.ThreadID, "err", err)
			}
		},
		OnLine: func(ctx context.Context, guildID string, sid int64, kind, line string) {
			if _, err := a.TriggerLine(ctx, guildID, sid, kind, line); err != nil {
				a.log.Warn("livefeed: staff triggers", "err", err)
			}
		},
		Nonce:        storage.OutboxNonce,
		SanitizeName: bots.SanitizeName,
		SanitizeChat: bots.SanitizeChat,
		Logger:       a.log.With("component", "livefeed"),
		TailEvery:    max(1, int(time.Minute/max(time.Second, a.cfg.ChatPoll))), // ShooterGame.log about once a minute
	})
	if err != nil {
		return fmt.Errorf("livefeed: %w", err)
	}
	w := &feedWiring{a: a, feed: f, members: members, polls: map[int64]bool{}}
	// A restart of the appliance closes open sessions at the last time seen.
	if n, err := a.db.SessionsCloseOpen(ctx, 0); err != nil {
		a.log.Warn("close open sessions", "err", err)
	} else if n > 0 {
		a.log.Info("closed play sessions left open by the last run", "sessions", n)
	}
	if err := f.LoadThreads(ctx); err != nil {
		a.log.Warn("livefeed: load threads", "err", err)
	}
	r := a.sup.Router(bots.Server)
	if r == nil {
		r = bots.NewRouter()
		if err := a.sup.Handle(bots.Server, r); err != nil {
			return fmt.Errorf("livefeed: %w", err)
		}
	}
	r.Settings(clusterChatSetting, tribeThreadsSetting)
	r.Messages(bots.MessageHandlers{Create: func(ctx context.Context, s *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Author == nil || (s.State != nil && s.State.User != nil && m.Author.ID == s.State.User.ID) {
			return
		}
		if err := f.OnDiscordMessage(ctx, livefeed.DiscordMessage{GuildID: m.GuildID, ChannelID: m.ChannelID, MessageID: m.ID,
			AuthorName: authorName(m.Author, m.Member), Bot: m.Author.Bot, Webhook: m.WebhookID != "", Content: m.Content}); err != nil {
			a.log.Warn("livefeed: relay to game", "err", err)
		}
	}})
	a.mon.metrics = append(a.mon.metrics, w.metrics)
	a.mon.sources = append(a.mon.sources, w.status)
	if err := w.sync(ctx); err != nil {
		a.log.Warn("livefeed: sync", "err", err)
	}
	// ✅/❌ on relayed messages, apart from relaying (Discord rate-limits
	// reactions to a few per second per channel).
	if err := a.sched.Add(feedReactionsJob, "@every "+max(time.Second, a.cfg.ChatPoll).String(), func(ctx context.Context) error {
		f.FlushReactions(ctx)
		return nil
	}); err != nil {
		return fmt.Errorf("livefeed: %w", err)
	}
	// Tribe thread members follow the links and the hourly snapshots: a
	// pass calls Discord only for what changed since the last one.
	if err := a.sched.Add(feedMembersJob, feedMembersSpec, members.Sync); err != nil {
		return fmt.Errorf("livefeed: %w", err)
	}
	return a.sched.Add(feedSyncJob, syncSpec, w.sync)
}

// feedMembersJob keeps the tribes' private log threads' members in step
// with /ap link and the latest snapshots (livefeed.Members).
const feedMembersJob = "feed/tribe-members"

// feedMembersSpec: a link made or removed, or a new snapshot, shows in the
// tribe threads within a minute.
const feedMembersSpec = "@every 1m"

// feedWiring is the feed and its poll jobs.
type feedWiring struct {
	a       *appliance
	feed    *livefeed.Feed
	members *livefeed.Members
	mu      sync.Mutex
	polls   map[int64]bool
}

func feedJobName(id int64) string { return "feed/" + itoa(id) }

// syncFeed gives every enabled linked server a poll job and removes the
// jobs of servers no longer linked.
func (w *feedWiring) sync(ctx context.Context) error {
	a := w.a
	servers, err := a.db.AllServers(ctx)
	if err != nil {
		return fmt.Errorf("feed sync: %w", err)
	}
	want := map[int64]bool{}
	for _, s := range servers {
		if s.Enabled {
			want[s.ServiceID] = true
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	spec := "@every " + max(time.Second, a.cfg.ChatPoll).String()
	for id := range want {
		if w.polls[id] {
			continue
		}
		id := id
		if err := a.sched.Add(feedJobName(id), spec, func(ctx context.Context) error {
			paused, _ := a.sched.Paused() // the scheduler pauses while Nitrado is degraded
			w.feed.OnHealthChange(!paused)
			err := w.feed.Poll(ctx, id)
			if errors.Is(err, livefeed.ErrPaused) {
				return nil // shown by /status as paused
			}
			return err
		}); err != nil {
			return fmt.Errorf("feed sync: %w", err)
		}
		w.polls[id] = true
	}
	for id := range w.polls {
		if !want[id] {
			a.sched.Remove(feedJobName(id))
			delete(w.polls, id)
		}
	}
	return nil
}

func (w *feedWiring) status(ctx context.Context) []ComponentStatus {
	st := w.feed.Stats(ctx)
	c := ComponentStatus{Name: "livefeed", State: StateOK,
		Detail: fmt.Sprintf("%d lines read, %d delivered, %d pending, lag %.1fs, %d recovered from the game log; %d relayed to the game, %d waiting",
			st.LinesRead, st.LinesDelivered, st.Pending, st.LagSeconds, st.Recovered, st.Relayed, st.RelaysPending)}
	if ms := w.members.Stats(); ms.Added+ms.Removed+ms.Failed > 0 {
		c.Detail += fmt.Sprintf("; tribe threads: %d members added, %d removed, %d refused (retried later)", ms.Added, ms.Removed, ms.Failed)
	}
	if len(st.NoGameLog) > 0 {
		c.Detail += "; no game log on " + strings.Join(st.NoGameLog, ", ") +
			" (a lost GetChat reply cannot be recovered there)"
	}
	switch {
	case st.Paused:
		c.State, c.Detail = StateDegraded, "paused: nitrado degraded; "+c.Detail
	case st.MaybeLost > 0:
		c.State = StateDegraded
		c.Detail += fmt.Sprintf("; %d GetChat replies may have been lost (no readable game log)", st.MaybeLost)
	}
	return []ComponentStatus{c}
}

func (w *feedWiring) metrics(m *metricWriter) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st := w.feed.Stats(ctx)
	m.counter("bliss_feed_lines_read_total", "GetChat and game-log lines read.", float64(st.LinesRead))
	m.counter("bliss_feed_lines_delivered_total", "Feed lines posted to Discord.", float64(st.LinesDelivered))
	m.counter("bliss_feed_relayed_total", "ServerChat lines sent (Discord and cluster chat).", float64(st.Relayed))
	m.counter("bliss_feed_recovered_total", "Chat lines recovered from the game log.", float64(st.Recovered))
	m.counter("bliss_feed_gaps_total", "Failed GetChat polls (a reply may have been lost).", float64(st.Gaps))
	m.gauge("bliss_feed_pending", "Feed lines waiting for Discord.", float64(st.Pending))
	m.gauge("bliss_feed_relays_pending", "Discord lines waiting to be sent to the game.", float64(st.RelaysPending))
	m.gauge("bliss_feed_lag_seconds", "Age of the last delivered batch when it was posted.", st.LagSeconds)
	m.counter("bliss_feed_maybe_lost_total", "GetChat replies that may have been lost on servers without a readable game log.", float64(st.MaybeLost))
	m.gauge("bliss_feed_servers_without_game_log", "Followed servers whose ShooterGame.log is unknown or unreadable.", float64(len(st.NoGameLog)))
	ms := w.members.Stats()
	m.counter("bliss_feed_tribe_members_added_total", "Linked tribe members added to their tribe's log thread.", float64(ms.Added))
	m.counter("bliss_feed_tribe_members_removed_total", "Users removed from a tribe log thread (no longer in the tribe).", float64(ms.Removed))
	m.counter("bliss_feed_tribe_members_failed_total", "Refused additions to a tribe log thread (retried later).", float64(ms.Failed))
	paused := 0.0
	if st.Paused {
		paused = 1
	}
	m.gauge("bliss_feed_paused", "1 while the feed is paused (Nitrado degraded).", paused)
}

// feedDirectory lists linked servers with their details (name, map, log
// path) and reads guild settings.
type feedDirectory struct{ a *appliance }

func (d *feedDirectory) Servers(ctx context.Context) ([]livefeed.Server, error) {
	servers, err := d.a.db.AllServers(ctx)
	if err != nil {
		return nil, err
	}
	chat := map[string]map[string]bool{} // guild → clusters with cluster chat
	out := make([]livefeed.Server, 0, len(servers))
	for _, s := range servers {
		if !s.Enabled {
			continue
		}
		fs := livefeed.Server{ServiceID: s.ServiceID, GuildID: s.GuildID, Name: s.Name, Map: s.Map, Cluster: s.Cluster}
		if det, err := d.a.sd.Get(ctx, s.ServiceID); err == nil {
			if fs.Name == "" {
				fs.Name = det.Name
			}
			if fs.Map == "" {
				fs.Map = det.Map
			}
			if det.GamePath != "" {
				fs.LogPath = det.GamePath + "/ShooterGame/Saved/Logs/ShooterGame.log"
			}
		}
		fs.Map = strings.TrimSuffix(fs.Map, "_WP")
		if s.Cluster != "" {
			if chat[s.GuildID] == nil {
				chat[s.GuildID] = map[string]bool{}
				if gs, err := d.a.guilds.GuildSettings(ctx, s.GuildID); err == nil {
					for _, c := range strings.Split(gs.Value(clusterChatSetting), ",") {
						if c = strings.TrimSpace(c); c != "" {
							chat[s.GuildID][strings.ToLower(c)] = true
						}
					}
				}
			}
			fs.ClusterChat = chat[s.GuildID][strings.ToLower(s.Cluster)]
		}
		out = append(out, fs)
	}
	return out, nil
}

func (d *feedDirectory) Guild(ctx context.Context, guildID string) (livefeed.Guild, error) {
	gs, err := d.a.guilds.GuildSettings(ctx, guildID)
	if err != nil {
		return livefeed.Guild{}, err
	}
	return livefeed.Guild{BridgeCategoryID: gs.ChatBridgeCategoryID, LogChannels: gs.LogChannels, TribeThreads: gs.Bool(tribeThreadsSetting)}, nil
}

// feedStore adapts storage's outbox to livefeed.Store.
type feedStore struct{ db *storage.DB }

func feedToOutbox(it livefeed.Item) storage.OutboxItem {
	return storage.OutboxItem{Kind: it.Kind, Key: it.Key, GuildID: it.GuildID, ServiceID: it.ServiceID, Target: it.Target, Payload: it.Payload}
}

func feedFromOutbox(rows []storage.OutboxItem) []livefeed.Item {
	out := make([]livefeed.Item, len(rows))
	for i, it := range rows {
		out[i] = livefeed.Item{ID: it.ID, Kind: it.Kind, Key: it.Key, GuildID: it.GuildID, ServiceID: it.ServiceID,
			Target: it.Target, Payload: it.Payload, Attempts: it.Attempts, NextAt: it.NextAt, LastError: it.LastError, CreatedAt: it.CreatedAt}
	}
	return out
}

func (s feedStore) RecordStream(ctx context.Context, key, value string, items []livefeed.Item) ([]bool, error) {
	rows := make([]storage.OutboxItem, len(items))
	for i, it := range items {
		rows[i] = feedToOutbox(it)
	}
	return s.db.RecordStreamCreated(ctx, key, value, rows)
}
func (s feedStore) Cursor(ctx context.Context, key string) (string, error) {
	return s.db.Cursor(ctx, key)
}
func (s feedStore) SetCursor(ctx context.Context, key, v string) error {
	return s.db.SetCursor(ctx, key, v)
}
func (s feedStore) Due(ctx context.Context, kind string, now time.Time, limit int) ([]livefeed.Item, error) {
	rows, err := s.db.OutboxDue(ctx, kind, now, limit)
	return feedFromOutbox(rows), err
}
func (s feedStore) Done(ctx context.Context, ids []int64, batch string) error {
	return s.db.OutboxDoneBatch(ctx, ids, batch)
}
func (s feedStore) Retry(ctx context.Context, id int64, next time.Time, e string) error {
	return s.db.OutboxRetry(ctx, id, next, e)
}
func (s feedStore) Fail(ctx context.Context, id int64, e string) error {
	return s.db.OutboxSetState(ctx, id, storage.OutboxFailed, e)
}
func (s feedStore) Recent(ctx context.Context, kind string, sid int64, since time.Time) ([]livefeed.Item, error) {
	rows, err := s.db.OutboxRecent(ctx, kind, sid, since)
	return feedFromOutbox(rows), err
}
func (s feedStore) Pending(ctx context.Context, kind string) (int, error) {
	m, err := s.db.OutboxCounts(ctx, kind)
	return m[storage.OutboxPending], err
}

// feedSessions adapts storage's play sessions.
type feedSessions struct{ db *storage.DB }

func (s feedSessions) Join(ctx context.Context, sid int64, eos, name string, at time.Time) error {
	return s.db.SessionJoin(ctx, sid, eos, name, at, storage.SessionSourceLog)
}
func (s feedSessions) Leave(ctx context.Context, sid int64, eos string, at time.Time) error {
	return s.db.SessionLeave(ctx, sid, eos, at)
}
func (s feedSessions) Roster(ctx context.Context, sid int64, ps []livefeed.Player, at time.Time) error {
	on := make([]storage.OnlinePlayer, len(ps))
	for i, p := range ps {
		on[i] = storage.OnlinePlayer{EOSID: p.EOSID, Name: p.Name}
	}
	return s.db.SessionsRoster(ctx, sid, on, at)
}
func (s feedSessions) Gone(ctx context.Context, sid int64, eos []string) error {
	return s.db.SessionsGone(ctx, sid, eos)
}
func (s feedSessions) CloseBefore(ctx context.Context, sid int64, at time.Time) error {
	_, err := s.db.SessionsCloseBefore(ctx, sid, at)
	return err
}

// feedDiscord is livefeed.Discord over the Server bot's session.
type feedDiscord struct{ session func() *discordgo.Session }

var errNoSession = errors.New("the Server bot is not connected")

func (d feedDiscord) s() (*discordgo.Session, error) {
	s := d.session()
	if s == nil {
		return nil, errNoSession
	}
	return s, nil
}

// Send posts with nonce + enforce_nonce (discordgo's MessageSend has no
// nonce) and no allowed mentions.
func (d feedDiscord) Send(ctx context.Context, channelID, content, nonce string) (string, error) {
	s, err := d.s()
	if err != nil {
		return "", err
	}
	body := map[string]any{"content": content, "nonce": nonce, "enforce_nonce": true,
		"allowed_mentions": map[string]any{"parse": []string{}}}
	ep := discordgo.EndpointChannelMessages(channelID)
	raw, err := s.RequestWithBucketID("POST", ep, body, ep, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	var m discordgo.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", fmt.Errorf("decode message: %w", err)
	}
	return m.ID, nil
}

func (d feedDiscord) EnsureChannel(ctx context.Context, guildID, categoryID, name string) (string, error) {
	s, err := d.s()
	if err != nil {
		return "", err
	}
	chs, err := s.GuildChannels(guildID, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	for _, c := range chs {
		if c.Type == discordgo.ChannelTypeGuildText && c.ParentID == categoryID && c.Name == name {
			return c.ID, nil
		}
	}
	c, err := s.GuildChannelCreateComplex(guildID, discordgo.GuildChannelCreateData{Name: name,
		Type: discordgo.ChannelTypeGuildText, ParentID: categoryID, Topic: "Game chat of every server, one thread per server."},
		discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

func (d feedDiscord) EnsureThread(ctx context.Context, guildID, channelID, name string, private bool) (string, error) {
	s, err := d.s()
	if err != nil {
		return "", err
	}
	if list, err := s.GuildThreadsActive(guildID, discordgo.WithContext(ctx)); err == nil {
		for _, t := range list.Threads {
			if t.ParentID == channelID && t.Name == name {
				return t.ID, nil
			}
		}
	}
	typ := discordgo.ChannelTypeGuildPublicThread
	if private {
		typ = discordgo.ChannelTypeGuildPrivateThread
	}
	t, err := s.ThreadStart(channelID, name, typ, 10080, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// Messages reads a thread's messages after a message id (Discord returns
// them newest first; the feed wants them oldest first).
func (d feedDiscord) Messages(ctx context.Context, channelID, after string, limit int) ([]livefeed.DiscordMessage, error) {
	s, err := d.s()
	if err != nil {
		return nil, err
	}
	msgs, err := s.ChannelMessages(channelID, limit, "", after, "", discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]livefeed.DiscordMessage, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		out = append(out, livefeed.DiscordMessage{GuildID: m.GuildID, ChannelID: m.ChannelID, MessageID: m.ID,
			AuthorName: authorName(m.Author, m.Member), Bot: m.Author == nil || m.Author.Bot, Webhook: m.WebhookID != "", Content: m.Content})
	}
	slices.SortFunc(out, func(a, b livefeed.DiscordMessage) int { // snowflakes: shorter is older
		if c := cmp.Compare(len(a.MessageID), len(b.MessageID)); c != 0 {
			return c
		}
		return cmp.Compare(a.MessageID, b.MessageID)
	})
	return out, nil
}

// authorName is the name a Discord message's author shows: the server
// nickname, the global display name, else the user name.
func authorName(u *discordgo.User, m *discordgo.Member) string {
	if m != nil && m.Nick != "" {
		return m.Nick
	}
	if u == nil {
		return ""
	}
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

func (d feedDiscord) React(ctx context.Context, channelID, messageID, emoji string) error {
	s, err := d.s()
	if err != nil {
		return err
	}
	return s.MessageReactionAdd(channelID, messageID, emoji, discordgo.WithContext(ctx))
}

// AddThreadMember adds a user to a thread (PUT thread-members).
func (d feedDiscord) AddThreadMember(ctx context.Context, threadID, userID string) error {
	s, err := d.s()
	if err != nil {
		return err
	}
	return threadMemberErr(s.ThreadMemberAdd(threadID, userID, discordgo.WithContext(ctx)))
}

// RemoveThreadMember removes a user from a thread (DELETE thread-members).
func (d feedDiscord) RemoveThreadMember(ctx context.Context, threadID, userID string) error {
	s, err := d.s()
	if err != nil {
		return err
	}
	return threadMemberErr(s.ThreadMemberRemove(threadID, userID, discordgo.WithContext(ctx)))
}

// Unarchive unarchives a thread (the Server bot has Manage Threads).
func (d feedDiscord) Unarchive(ctx context.Context, threadID string) error {
	s, err := d.s()
	if err != nil {
		return err
	}
	archived := false
	_, err = s.ChannelEditComplex(threadID, &discordgo.ChannelEdit{Archived: &archived}, discordgo.WithContext(ctx))
	return threadMemberErr(err)
}

// threadMemberErr marks Discord's unknown thread / member / user answers
// as livefeed.ErrGone and "thread is archived" as livefeed.ErrArchived.
func threadMemberErr(err error) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		switch re.Message.Code {
		case discordgo.ErrCodeUnknownChannel, discordgo.ErrCodeUnknownMember, discordgo.ErrCodeUnknownUser:
			return fmt.Errorf("%w: %w", livefeed.ErrGone, err)
		case discordgo.ErrCodePerformedOperationOnArchivedThread:
			return fmt.Errorf("%w: %w", livefeed.ErrArchived, err)
		}
	}
	return err
}
