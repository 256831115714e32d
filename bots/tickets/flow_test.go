package tickets_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/ticketstore"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/tickets"
)

const spam = "@everyone <@&800000000000000002> **bold** [x](https://evil.example) <script>alert(1)</script> ||spoiler||"

// TestE2ETicketLifecycle: panel → form (answers at Discord's maximum
// length, markdown and mention spam) → private thread with the opener and
// the staff → messages recorded → two staff claim at once → staff note →
// close with a reason → transcripts (log channel with the note, DM
// without) → reopen → /ticket transcript.
func TestE2ETicketLifecycle(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(map[bool]string{false: "lenient", true: "strict"}[strict], func(t *testing.T) { testLifecycle(t, strict) })
	}
}

// testLifecycle: strict runs with enforced permissions (exactly the
// invite's) and intents.
func testLifecycle(t *testing.T, strict bool) {
	w := newWorldStrict(t, nil, strict)
	ctx := context.Background()
	open := w.addType("Support", "What happened? | Which server?")

	r := w.command(adminID, supportCh, discordtest.SubCommand("panel", discordtest.ChannelOpt("channel", supportCh)))
	if !strings.Contains(bottest.Text(r), "Panel posted") {
		t.Fatalf("panel: %s", bottest.Text(r))
	}
	panel := w.fake.Messages(supportCh)
	if len(panel) != 1 || bottest.Buttons(panel[0].Components)["Support"] != open {
		t.Fatalf("panel message: %+v", panel)
	}

	// The button opens the form.
	r = w.Do(discordtest.Interaction{Type: discordgo.InteractionMessageComponent, User: user(playerID), ChannelID: supportCh,
		CustomID: open, MessageID: panel[0].ID})
	if r.Type != discordgo.InteractionResponseModal || len(r.Data.Components) != 2 {
		t.Fatalf("form: %v %s", r.Type, bottest.Text(r))
	}
	form := r.Data.CustomID
	long := strings.Repeat("x", 4000-len(spam)) + spam
	r = w.submit(playerID, supportCh, form, map[string]string{"q0": long, "q1": long})
	if !strings.Contains(bottest.Text(r), "Ticket #1 is open") {
		t.Fatalf("open: %s", bottest.Text(r))
	}
	thread := threadOf(t, r)
	ch, ok := w.fake.Channel(thread)
	if !ok || ch.Type != discordgo.ChannelTypeGuildPrivateThread || ch.ParentID != supportCh || !strings.HasPrefix(ch.Name, "ticket-0001") {
		t.Fatalf("thread: %+v", ch)
	}
	members, _ := w.fake.ThreadMembers(thread)
	for _, want := range []string{playerID, staff1ID, staff2ID, w.bot.UserID} {
		if !contains(members, want) {
			t.Errorf("thread members %v lack %s", members, want)
		}
	}
	if contains(members, player2ID) {
		t.Errorf("another member is in the private thread: %v", members)
	}
	first := w.fake.Messages(thread)
	if len(first) < 2 {
		t.Fatalf("the answers (8000+ characters) need several messages, got %d", len(first))
	}
	btn := bottest.Buttons(first[0].Components)
	if btn["Claim"] == "" || btn["Close"] == "" {
		t.Fatalf("first message buttons: %v", btn)
	}
	if first[0].MentionEveryone {
		t.Error("the first message pings @everyone")
	}
	var all strings.Builder
	for _, m := range first {
		for _, e := range m.Embeds {
			all.WriteString(e.Description)
		}
	}
	if got := all.String(); !strings.Contains(got, `\@everyone`) || strings.Contains(got, "<script>") || !strings.Contains(got, `\*\*bold\*\*`) {
		t.Errorf("answers not escaped: %.300s", got[len(got)-400:])
	}

	// The member and staff talk; the bot records every message.
	if _, err := w.fake.SendFiles(thread, user(playerID), "here is a screenshot", discordtest.File{Name: "base.png", ContentType: "image/png", Data: []byte("png")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.fake.SendMessage(thread, user(player2ID), "let me in"); err == nil {
		t.Fatal("a non-member posted in the private thread")
	}
	store := ticketstore.New(w.db)
	tk, err := store.ByThread(ctx, thread)
	if err != nil {
		t.Fatal(err)
	}
	bottest.WaitFor(w.t, "the member's message recorded", func() bool {
		ms, _ := store.Messages(ctx, tk.ID)
		for _, m := range ms {
			if m.Content == "here is a screenshot" && len(m.AttachmentNames) == 1 {
				return true
			}
		}
		return false
	})

	// Two staff claim at once: exactly one wins.
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	for _, who := range []string{staff1ID, staff2ID} {
		wg.Go(func() {
			r := w.click(who, thread, btn["Claim"])
			switch s := bottest.Text(r); {
			case strings.Contains(s, "is yours"):
				wins.Add(1)
			case strings.Contains(s, "already claimed"):
				losses.Add(1)
			default:
				t.Errorf("claim by %s: %s", who, s)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != 1 {
		t.Fatalf("claims: %d won, %d lost", wins.Load(), losses.Load())
	}
	if r := w.command(staff2ID, thread, discordtest.SubCommand("unclaim")); !strings.Contains(bottest.Text(r), "is unclaimed") {
		t.Fatalf("unclaim: %s", bottest.Text(r))
	}
	if r := w.click(staff2ID, thread, btn["Claim"]); !strings.Contains(bottest.Text(r), "is yours") {
		t.Fatalf("claim after unclaim: %s", bottest.Text(r))
	}
	// A member cannot claim.
	if r := w.click(playerID, thread, btn["Claim"]); !strings.Contains(bottest.Text(r), "Only the staff") {
		t.Fatalf("member claim: %s", bottest.Text(r))
	}

	r = w.command(staff1ID, thread, discordtest.SubCommand("note", discordtest.StringOpt("text", "TOP-SECRET staff note")))
	if !strings.Contains(bottest.Text(r), "Note saved") {
		t.Fatalf("note: %s", bottest.Text(r))
	}
	r = w.command(staff1ID, thread, discordtest.SubCommand("add", discordtest.UserOpt("member", player2ID)))
	if members, _ := w.fake.ThreadMembers(thread); !strings.Contains(bottest.Text(r), "was added to") || !contains(members, player2ID) {
		t.Fatalf("add member: %s %v", bottest.Text(r), members)
	}
	r = w.command(staff1ID, thread, discordtest.SubCommand("remove", discordtest.UserOpt("member", player2ID)))
	if members, _ := w.fake.ThreadMembers(thread); !strings.Contains(bottest.Text(r), "was removed from") || contains(members, player2ID) {
		t.Fatalf("remove member: %s %v", bottest.Text(r), members)
	}
	if r := w.command(staff1ID, thread, discordtest.SubCommand("remove", discordtest.UserOpt("member", playerID))); !strings.Contains(bottest.Text(r), "stays in it") {
		t.Fatalf("removed the opener: %s", bottest.Text(r))
	}
	r = w.command(staff1ID, thread, discordtest.SubCommand("rename", discordtest.StringOpt("name", "Lost dino")))
	if !strings.Contains(bottest.Text(r), "0001-lost-dino") {
		t.Fatalf("rename: %s", bottest.Text(r))
	}

	// The opener closes with a reason: the form is the confirmation.
	r = w.click(playerID, thread, btn["Close"])
	if r.Type != discordgo.InteractionResponseModal {
		t.Fatalf("close button: %s", bottest.Text(r))
	}
	r = w.submit(playerID, thread, r.Data.CustomID, map[string]string{"reason": "solved, thanks <@&800000000000000002>"})
	if !strings.Contains(bottest.Text(r), "Ticket #1 is closed") || !strings.Contains(bottest.Text(r), "by DM") {
		t.Fatalf("close: %s", bottest.Text(r))
	}
	ch, _ = w.fake.Channel(thread)
	if ch.ThreadMetadata == nil || !ch.ThreadMetadata.Archived || !ch.ThreadMetadata.Locked {
		t.Fatalf("thread not archived and locked: %+v", ch.ThreadMetadata)
	}
	staffHTML := w.attachment(logCh, "ticket-0001-transcript.html")
	dm, err := w.fake.DMChannel(w.bot, playerID)
	if err != nil {
		t.Fatal(err)
	}
	userHTML := w.attachment(dm, "ticket-0001-transcript.html")
	for name, h := range map[string]string{"staff": staffHTML, "member": userHTML} {
		if strings.Contains(h, "<script>") || !strings.Contains(h, "&lt;script&gt;") || !strings.Contains(h, "here is a screenshot") ||
			!strings.Contains(h, "base.png") || !strings.Contains(h, "solved, thanks") {
			t.Errorf("%s transcript: %.2000s", name, h)
		}
	}
	// Embeds as text (the bot's first message, markdown escapes undone),
	// attachments as links to the CDN.
	for _, want := range []string{"Ticket #1 — Support", "Opened by @Pat", `href="https://cdn.discordapp.com/attachments/`, "**bold**"} {
		if !strings.Contains(staffHTML, want) {
			t.Errorf("staff transcript lacks %q", want)
		}
	}
	if strings.Contains(staffHTML, `\*\*bold`) {
		t.Error("the transcript shows Discord's markdown escapes")
	}
	if !strings.Contains(staffHTML, "TOP-SECRET") || strings.Contains(userHTML, "TOP-SECRET") {
		t.Error("the note must be in the staff transcript only")
	}

	// Reopen within the window.
	closed := w.fake.Messages(thread)
	reopen := bottest.Buttons(closed[len(closed)-1].Components)["Reopen"]
	if reopen == "" {
		t.Fatalf("no Reopen button on %+v", closed[len(closed)-1])
	}
	r = w.click(playerID, thread, reopen)
	if !strings.Contains(bottest.Text(r), "open again") {
		t.Fatalf("reopen: %s", bottest.Text(r))
	}
	ch, _ = w.fake.Channel(thread)
	if ch.ThreadMetadata.Archived || ch.ThreadMetadata.Locked {
		t.Fatal("reopened thread still archived")
	}
	r = w.command(staff2ID, supportCh, discordtest.SubCommand("transcript", discordtest.IntOpt("number", 1)))
	if len(r.Data.Files) != 1 || !strings.Contains(string(r.Data.Files[0].Data), "TOP-SECRET") {
		t.Fatalf("/ticket transcript: %s", bottest.Text(r))
	}
	// A plain member cannot use staff commands.
	r = w.command(playerID, supportCh, discordtest.SubCommand("transcript", discordtest.IntOpt("number", 1)))
	if !strings.Contains(bottest.Text(r), "staff role") {
		t.Fatalf("member ran /ticket transcript: %s", bottest.Text(r))
	}
	w.noErrors()
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// attachment waits for a message in channel carrying a file named name and
// returns the file's content as downloaded from the CDN.
func (w *world) attachment(channel, name string) string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := w.fake.WaitMessage(ctx, channel, func(m *discordgo.Message) bool {
		for _, a := range m.Attachments {
			if a.Filename == name {
				return true
			}
		}
		return false
	})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, a := range m.Attachments {
		if a.Filename == name {
			f, ok := w.fake.Attachment(a.URL)
			if !ok {
				w.t.Fatalf("attachment %s not downloadable", a.URL)
			}
			return string(f.Data)
		}
	}
	return ""
}

// TestE2EConcurrentOpensRespectLimit: 50 clicks at once by one member on a
// type without questions open exactly the limit (3), numbered 1-3.
func TestE2EConcurrentOpensRespectLimit(t *testing.T) {
	w := newWorld(t, map[string]string{"ticket_cooldown": "0s", "ticket_channel": ticketCh})
	open := w.addType("Quick", "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var opened, refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Go(func() {
			h, err := w.fake.Interact(ctx, w.bot, discordtest.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: w.guild.ID,
				ChannelID: supportCh, User: user(playerID), CustomID: open})
			if err != nil {
				t.Error(err)
				return
			}
			r, err := h.WaitFinal(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			switch s := bottest.Text(r); {
			case strings.Contains(s, "is open"):
				opened.Add(1)
			case strings.Contains(s, "maximum number of open tickets"):
				refused.Add(1)
			default:
				t.Errorf("click: %s", s)
			}
		})
	}
	wg.Wait()
	if opened.Load() != 3 || refused.Load() != 47 {
		t.Fatalf("opened %d, refused %d; want 3 and 47", opened.Load(), refused.Load())
	}
	threads := 0
	for _, c := range w.fake.Channels(w.guild.ID) {
		if c.IsThread() {
			threads++
			if c.ParentID != ticketCh {
				t.Errorf("thread %s in %s, want the ticket channel", c.Name, c.ParentID)
			}
		}
	}
	if threads != 3 {
		t.Fatalf("%d threads", threads)
	}
	w.noErrors()
}

// TestE2EIncidents: a raise opens one automatic ticket, repeats add
// messages, a clear says so and closes it; a raise while the bot is
// offline waits for Sweep; staff triggers raise from live-feed lines.
func TestE2EIncidents(t *testing.T) {
	w := newWorld(t, map[string]string{"ticket_channel": ticketCh})
	ctx := context.Background()
	in := bots.Incident{Kind: "server_down", GuildID: w.guild.ID, Subject: "Ragnarok", ServiceID: 1001,
		Details: "Ragnarok is down: RCON does not answer", DedupeKey: "server_down:1001",
		Actions: []bots.IncidentAction{{Label: "Restart", CustomID: "srv:restart:1001"}}}
	if err := w.tb.Raise(ctx, in); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Go(func() {
			in := in
			in.Details = "still down"
			if err := w.tb.Raise(ctx, in); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var threads []*discordgo.Channel
	for _, c := range w.fake.Channels(w.guild.ID) {
		if c.IsThread() {
			threads = append(threads, c)
		}
	}
	if len(threads) != 1 {
		t.Fatalf("%d automatic tickets, want 1", len(threads))
	}
	th := threads[0].ID
	msgs := w.fake.Messages(th)
	// Five repeats within a minute post one "Again" message.
	if len(msgs) != 2 || !strings.Contains(msgs[0].Embeds[0].Title, "automatic: server down") || !strings.Contains(msgs[1].Embeds[0].Title, "Again") {
		t.Fatalf("automatic ticket messages: %d, first %+v", len(msgs), msgs[0].Embeds)
	}
	// The action button is handed on to the bot that raised the incident.
	restart := bottest.Buttons(msgs[0].Components)["Restart"]
	if r := w.click(playerID, th, restart); !strings.Contains(bottest.Text(r), "staff role") {
		t.Fatalf("member ran an incident action: %s", bottest.Text(r))
	}
	if r := w.click(staff1ID, th, restart); r.Data.Content != "restarting" {
		t.Fatalf("action: %s", bottest.Text(r))
	}
	if len(w.forwarded) != 1 || w.forwarded[0] != "srv:restart:1001" {
		t.Fatalf("forwarded %v", w.forwarded)
	}
	members, _ := w.fake.ThreadMembers(th)
	if !contains(members, staff1ID) || !contains(members, staff2ID) {
		t.Fatalf("staff not in the automatic ticket: %v", members)
	}
	if err := w.tb.Clear(ctx, w.guild.ID, "server_down:1001", "Ragnarok is up again."); err != nil {
		t.Fatal(err)
	}
	ch, _ := w.fake.Channel(th)
	if !ch.ThreadMetadata.Archived {
		t.Fatal("automatic ticket not closed on clear")
	}
	last := w.fake.Messages(th)
	if !strings.Contains(last[len(last)-2].Embeds[0].Title, "Cleared") {
		t.Fatalf("no cleared message: %+v", last[len(last)-2].Embeds[0])
	}
	w.attachment(logCh, "ticket-0001-transcript.html")

	// A staff trigger on chat lines.
	r := w.command(adminID, supportCh, discordtest.SubCommandGroup("trigger", discordtest.SubCommand("add",
		discordtest.StringOpt("kind", "chat"), discordtest.StringOpt("pattern", `admin\s+help`), discordtest.StringOpt("label", "Admin help"))))
	if !strings.Contains(bottest.Text(r), "Trigger added") {
		t.Fatalf("trigger add: %s", bottest.Text(r))
	}
	if n, err := w.tb.Trigger(ctx, w.guild.ID, 1002, "tribe", "ADMIN HELP"); err != nil || n != 0 {
		t.Fatalf("trigger on another kind: %d %v", n, err)
	}
	// A tribe-log trigger (a structure destroyed by another tribe) on one server only.
	r = w.command(adminID, supportCh, discordtest.SubCommandGroup("trigger", discordtest.SubCommand("add",
		discordtest.StringOpt("kind", "tribe"), discordtest.StringOpt("pattern", `destroyed your '.+'`), discordtest.StringOpt("server", "1003"))))
	if !strings.Contains(bottest.Text(r), "Trigger added") {
		t.Fatalf("tribe trigger add: %s", bottest.Text(r))
	}
	line := "Tribe Bob, ID 123: Day 12, 10:00:00: Your 'Metal Wall' was destroyed by Alice - Lvl 90 (Tribe of Alice)! destroyed your 'Metal Wall'"
	if n, err := w.tb.Trigger(ctx, w.guild.ID, 1002, "tribe", line); err != nil || n != 0 {
		t.Fatalf("tribe trigger on another server: %d %v", n, err)
	}
	if n, err := w.tb.Trigger(ctx, w.guild.ID, 1003, "tribe", line); err != nil || n != 1 {
		t.Fatalf("tribe trigger: %d %v", n, err)
	}
	for i := 0; i < 3; i++ {
		if n, err := w.tb.Trigger(ctx, w.guild.ID, 1002, "chat", "Bob (Tribe of Bob): ADMIN  HELP @everyone pls"); err != nil || n != 1 {
			t.Fatalf("trigger: %d %v", n, err)
		}
		w.clock.Advance(time.Minute)
	}
	tk, err := ticketstore.New(w.db).ByNumber(ctx, w.guild.ID, 3)
	if err != nil || tk.State != tickets.StateOpen || !strings.Contains(tk.Subject, "Admin help") {
		t.Fatalf("trigger ticket: %+v %v", tk, err)
	}
	if n := len(w.fake.Messages(tk.ThreadID)); n != 3 {
		t.Fatalf("trigger ticket has %d messages, want the opening and 2 repeats", n)
	}

	// An order incident names the player by mention, without pinging them
	// into the staff's thread.
	if err := w.tb.Raise(ctx, bots.Incident{Kind: "delivery_unconfirmed", GuildID: w.guild.ID, Subject: "order #3 Metal helmet for <@" + playerID + ">",
		ServiceID: 1001, Details: "the reply was silent <@" + player2ID + ">", DedupeKey: "order:3"}); err != nil {
		t.Fatal(err)
	}
	tk, err = ticketstore.New(w.db).ByNumber(ctx, w.guild.ID, 4)
	if err != nil {
		t.Fatal(err)
	}
	d := w.fake.Messages(tk.ThreadID)[0].Embeds[0].Description
	if !strings.Contains(d, "for <@"+playerID+">") || strings.Contains(d, "silent <@") {
		t.Fatalf("order ticket: %s", d)
	}
	if members, _ := w.fake.ThreadMembers(tk.ThreadID); contains(members, playerID) || contains(members, player2ID) {
		t.Fatalf("the player was pinged into the staff's thread: %v", members)
	}
	w.noErrors()
}

// TestE2EOfflineIncidentAndInactivity: an incident raised while the bot is
// offline opens on Sweep; inactive tickets get a warning, then close
// (also when nobody ever wrote).
func TestE2EOfflineIncidentAndInactivity(t *testing.T) {
	w := newWorld(t, map[string]string{"ticket_channel": ticketCh, "ticket_cooldown": "0s"})
	ctx := context.Background()
	offline := tickets.NewBot(tickets.Deps{Guilds: w.store, Store: ticketstore.New(w.db), Now: w.clock.Now})
	if err := offline.Raise(ctx, bots.Incident{Kind: "parse_failing", GuildID: w.guild.ID, Subject: "Lost Colony", DedupeKey: "parse_failing:1002",
		Details: "failed 3 times"}); err != nil {
		t.Fatal(err)
	}
	res, err := w.tb.Sweep(ctx)
	if err != nil || res.IncidentTickets != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	open := w.addType("Quick", "")
	r := w.click(playerID, supportCh, open)
	thread := threadOf(t, r)
	w.clock.Advance(49 * time.Hour)
	res, err = w.tb.Sweep(ctx)
	if err != nil || res.Warned != 1 || res.Closed != 0 {
		t.Fatalf("sweep after 49h: %+v %v", res, err)
	}
	msgs := w.fake.Messages(thread)
	if !strings.Contains(msgs[len(msgs)-1].Embeds[0].Title, "Still there") {
		t.Fatalf("no warning: %+v", msgs[len(msgs)-1].Embeds[0])
	}
	if res, _ = w.tb.Sweep(ctx); res.Warned != 0 {
		t.Fatal("warned twice")
	}
	w.clock.Advance(24 * time.Hour)
	res, err = w.tb.Sweep(ctx)
	if err != nil || res.Closed != 1 {
		t.Fatalf("sweep after 73h: %+v %v", res, err)
	}
	ch, _ := w.fake.Channel(thread)
	if !ch.ThreadMetadata.Archived {
		t.Fatal("inactive ticket not closed")
	}
	w.noErrors()
}

// TestE2EMemberLeftTicketCloses: a ticket whose opener left the server is
// still closed by staff, its transcript still posted; the DM cannot reach
// them and the close says so.
func TestE2EMemberLeftTicketCloses(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(map[bool]string{false: "lenient", true: "strict"}[strict], func(t *testing.T) { testMemberLeft(t, strict) })
	}
}

func testMemberLeft(t *testing.T, strict bool) {
	w := newWorldStrict(t, map[string]string{"ticket_channel": ticketCh}, strict)
	open := w.addType("Quick", "")
	thread := threadOf(t, w.click(playerID, supportCh, open))
	if err := w.fake.RemoveMember(w.guild.ID, playerID); err != nil {
		t.Fatal(err)
	}
	r := w.command(staff1ID, thread, discordtest.SubCommand("close", discordtest.StringOpt("reason", "left the server")))
	if r.Type != discordgo.InteractionResponseModal {
		t.Fatalf("/ticket close: %s", bottest.Text(r))
	}
	r = w.submit(staff1ID, thread, r.Data.CustomID, map[string]string{"reason": "left the server"})
	if s := bottest.Text(r); !strings.Contains(s, "Ticket #1 is closed") || !strings.Contains(s, "could not be reached by DM") {
		t.Fatalf("close: %s", s)
	}
	if h := w.attachment(logCh, "ticket-0001-transcript.html"); !strings.Contains(h, "left the server") {
		t.Fatalf("transcript: %.500s", h)
	}
	if ch, _ := w.fake.Channel(thread); ch.ThreadMetadata == nil || !ch.ThreadMetadata.Archived || !ch.ThreadMetadata.Locked {
		t.Fatal("the thread of a member who left was not archived and locked")
	}
	for _, c := range w.fake.Errors(w.bot) {
		if !strings.Contains(string(c.Response), "50007") {
			t.Errorf("fake rejected %s %s -> %d %s", c.Method, c.Path, c.Status, c.Response)
		}
	}
}

// TestE2EPanelSurvivesEditAndRestart: editing a type re-renders the posted
// panel; after a restart (new bot, new sessions) its button still opens
// the form of the edited type.
func TestE2EPanelSurvivesEditAndRestart(t *testing.T) {
	w := newWorld(t, nil)
	open := w.addType("Bug report", "What broke?")
	w.command(adminID, supportCh, discordtest.SubCommand("panel"))
	r := w.command(adminID, supportCh, discordtest.SubCommandGroup("type", discordtest.SubCommand("edit",
		discordtest.StringOpt("type", "Bug report"), discordtest.StringOpt("label", "Bugs"), discordtest.StringOpt("questions", "What broke? | When?"))))
	if !strings.Contains(bottest.Text(r), "1 panel(s) updated") {
		t.Fatalf("edit: %s", bottest.Text(r))
	}
	panel := w.fake.Messages(supportCh)[0]
	if bottest.Buttons(panel.Components)["Bugs"] != open {
		t.Fatalf("panel not re-rendered: %v", bottest.Buttons(panel.Components))
	}
	quick := w.addType("Quick", "")
	thread := threadOf(t, w.click(playerID, supportCh, quick))
	w.stop()
	if _, err := w.fake.SendMessage(thread, user(playerID), "written while the bot was offline"); err != nil {
		t.Fatal(err)
	}
	w.start()
	r = w.command(staff1ID, supportCh, discordtest.SubCommand("transcript", discordtest.IntOpt("number", 1)))
	if len(r.Data.Files) != 1 || !strings.Contains(string(r.Data.Files[0].Data), "written while the bot was offline") {
		t.Fatalf("transcript lacks the message sent while offline: %s", bottest.Text(r))
	}
	r = w.Do(discordtest.Interaction{Type: discordgo.InteractionMessageComponent, User: user(playerID), ChannelID: supportCh,
		CustomID: open, MessageID: panel.ID})
	if r.Type != discordgo.InteractionResponseModal || len(r.Data.Components) != 2 {
		t.Fatalf("after restart: %v %s", r.Type, bottest.Text(r))
	}
	w.noErrors()
}

// BenchmarkTriggerNoMatch is the live feed's cost per line for a guild
// with 20 staff triggers, none matching (the common case).
func BenchmarkTriggerNoMatch(b *testing.B) {
	w := newWorld(b, nil)
	ctx := context.Background()
	store := ticketstore.New(w.db)
	for i := 0; i < 20; i++ {
		if _, err := store.AddTrigger(ctx, tickets.Trigger{GuildID: w.guild.ID, Kind: "chat", Pattern: fmt.Sprintf(`admin\s+help\s+%d|griefer %d`, i, i)}); err != nil {
			b.Fatal(err)
		}
	}
	line := "RexRider (Tribe of Rex): anyone up for a drake run tonight? bring pearls and a lot of patience"
	b.ReportAllocs()
	for b.Loop() {
		if n, err := w.tb.Trigger(ctx, w.guild.ID, 1001, "chat", line); err != nil || n != 0 {
			b.Fatal(n, err)
		}
	}
}

// TestE2EMissingPermissionExplained: with Discord's permission checks, a
// ticket channel where the bot may not create private threads gets an
// answer naming the permissions, and the reserved number is released.
func TestE2EMissingPermissionExplained(t *testing.T) {
	w := newWorldStrict(t, map[string]string{"ticket_channel": lockedCh, "ticket_cooldown": "0s"}, true)
	open := w.addType("Quick", "")
	r := w.click(playerID, supportCh, open)
	if s := bottest.Text(r); !strings.Contains(s, "lacks permissions") || !strings.Contains(s, "Create Private Threads") {
		t.Fatalf("answer: %s", s)
	}
	if _, err := ticketstore.New(w.db).ByNumber(context.Background(), w.guild.ID, 1); err == nil {
		t.Fatal("the failed ticket kept its number")
	}
	errs := w.fake.Errors(w.bot)
	if len(errs) != 1 || !strings.Contains(string(errs[0].Response), "50013") {
		t.Fatalf("fake errors: %+v", errs)
	}
}

// TestE2ECooldown: a second ticket within ticket_cooldown (default 1m) is
// refused with the wait; after it, it opens; a type's own limit holds.
func TestE2ECooldown(t *testing.T) {
	w := newWorld(t, map[string]string{"ticket_channel": ticketCh})
	open := w.addType("Quick", "")
	if r := w.click(playerID, supportCh, open); !strings.Contains(bottest.Text(r), "Ticket #1 is open") {
		t.Fatalf("first: %s", bottest.Text(r))
	}
	if r := w.click(playerID, supportCh, open); !strings.Contains(bottest.Text(r), "please wait 1m") {
		t.Fatalf("within the cooldown: %s", bottest.Text(r))
	}
	w.clock.Advance(61 * time.Second)
	if r := w.click(playerID, supportCh, open); !strings.Contains(bottest.Text(r), "Ticket #2 is open") {
		t.Fatalf("after the cooldown: %s", bottest.Text(r))
	}
	r := w.command(adminID, supportCh, discordtest.SubCommandGroup("type", discordtest.SubCommand("edit",
		discordtest.StringOpt("type", "Quick"), discordtest.IntOpt("limit", 2))))
	if !strings.Contains(bottest.Text(r), "2 open per member") {
		t.Fatalf("type edit: %s", bottest.Text(r))
	}
	w.clock.Advance(61 * time.Second)
	if r := w.click(playerID, supportCh, open); !strings.Contains(bottest.Text(r), "maximum number of open tickets") {
		t.Fatalf("past the type's limit: %s", bottest.Text(r))
	}
	w.noErrors()
}
