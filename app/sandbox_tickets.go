package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/tickets"
	"github.com/blissark/bliss/storage"
)

// sceneTicketFromPanel: staff set up a ticket type and post the panel; a
// player opens a ticket from it through the form; staff claim and close
// it; the transcript lands in #ticket-log and in the player's DMs.
func sceneTicketFromPanel(ctx context.Context, sb *sandbox) error {
	r, err := sb.command(ctx, bots.Ticket, "admin", "ticket", discordtest.SubCommandGroup("type", discordtest.SubCommand("add",
		discordtest.StringOpt("label", "Support"), discordtest.StringOpt("emoji", "🛟"),
		discordtest.StringOpt("questions", "What happened? | Which server?"))))
	if err != nil {
		return err
	}
	if err := expect(r, "/ticket type add", "Ticket type added"); err != nil {
		return err
	}
	if r, err = sb.command(ctx, bots.Ticket, "admin", "ticket", discordtest.SubCommand("panel", discordtest.ChannelOpt("channel", sbChanGeneral))); err != nil {
		return err
	}
	if err := expect(r, "/ticket panel", "Panel posted"); err != nil {
		return err
	}
	panel, open := sb.lastButtonIn(sbChanGeneral, "Support")
	if open == "" {
		return fmt.Errorf("no Support button on the panel in #general")
	}
	sb.flushChannelMessages()
	r, err = sb.interact(ctx, bots.Ticket, "player", "clicks “Support” on the panel", discordtest.Interaction{
		Type: discordgo.InteractionMessageComponent, CustomID: open, MessageID: panel}, true)
	if err != nil {
		return err
	}
	if r.Type != discordgo.InteractionResponseModal {
		return fmt.Errorf("the panel button answered %d, want a form: %s", r.Type, responseText(r))
	}
	sb.say("[ticket] form “%s” with %d question(s)", r.Data.Title, len(r.Data.Components))
	r, err = sb.interact(ctx, bots.Ticket, "player", "fills in the form", discordtest.Interaction{Type: discordgo.InteractionModalSubmit,
		CustomID: r.Data.CustomID, ModalValues: map[string]string{"q0": "My **rex** vanished after the crash @everyone", "q1": "Ragnarok"}}, false)
	if err != nil {
		return err
	}
	if err := expect(r, "ticket form", "Ticket #1 is open"); err != nil {
		return err
	}
	thread := ticketThread(sb, 1)
	if thread == "" {
		return fmt.Errorf("ticket #1 has no thread")
	}
	members, _ := sb.discord.ThreadMembers(thread)
	sb.say("[discord] private thread %s, members: %s", thread, strings.Join(sb.userNames(members), ", "))
	if _, err := sb.discord.SendMessage(thread, sb.users["player"], "It was a level 240 rex, named Chomper."); err != nil {
		return err
	}
	sb.say("> @player in the ticket: It was a level 240 rex, named Chomper.")
	_, claim := sb.lastButtonIn(thread, "Claim")
	if r, err = sb.interact(ctx, bots.Ticket, "staff", "clicks “Claim”", discordtest.Interaction{Type: discordgo.InteractionMessageComponent,
		ChannelID: thread, CustomID: claim}, false); err != nil {
		return err
	}
	if err := expect(r, "claim", "is yours"); err != nil {
		return err
	}
	if r, err = sb.interact(ctx, bots.Ticket, "staff", "/ticket note text:restored from the 03:00 backup", discordtest.Interaction{
		ChannelID: thread, CommandName: "ticket", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			discordtest.SubCommand("note", discordtest.StringOpt("text", "restored from the 03:00 backup"))}}, false); err != nil {
		return err
	}
	_, closeID := sb.lastButtonIn(thread, "Close")
	if r, err = sb.interact(ctx, bots.Ticket, "staff", "clicks “Close”", discordtest.Interaction{Type: discordgo.InteractionMessageComponent,
		ChannelID: thread, CustomID: closeID}, true); err != nil {
		return err
	}
	if r.Type != discordgo.InteractionResponseModal {
		return fmt.Errorf("close answered %d, want the reason form", r.Type)
	}
	if r, err = sb.interact(ctx, bots.Ticket, "staff", "confirms with reason “rex restored”", discordtest.Interaction{Type: discordgo.InteractionModalSubmit,
		ChannelID: thread, CustomID: r.Data.CustomID, ModalValues: map[string]string{"reason": "rex restored"}}, false); err != nil {
		return err
	}
	if err := expect(r, "close", "Ticket #1 is closed", "transcript posted"); err != nil {
		return err
	}
	return sb.showTranscript(sbChanTickLog, "ticket-0001-transcript.html", "restored from the 03:00 backup")
}

// sceneTicketServerDown: a server stops; the incident watch opens an
// automatic ticket once it has been down longer than the guild's
// threshold, and closes it when the server is back.
func sceneTicketServerDown(ctx context.Context, sb *sandbox) error {
	s := sb.servers[0]
	gs, err := sb.app.guilds.GuildSettings(ctx, sb.guild.ID)
	if err != nil {
		return err
	}
	gs.Values[tickets.SettingServerDownAfter.Key] = "1ms"
	if err := sb.app.guilds.SaveGuildSettings(ctx, gs); err != nil {
		return err
	}
	sb.say("> /config set incident_server_down_after 1ms (so the sandbox need not wait 10 minutes)")
	sb.say("> Nitrado: %s stops", s.name)
	sb.nitrado.SetStatus(s.id, "stopped")
	sb.app.sd.Invalidate(s.id)
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	before := len(sb.threads())
	for i := 0; i < 2; i++ { // the first look notes the outage, the next one is past the threshold
		if err := sb.app.sched.Trigger(wctx, incidentWatchJob); err != nil {
			return fmt.Errorf("incident watch: %w", err)
		}
	}
	threads := sb.threads()
	if len(threads) != before+1 {
		return fmt.Errorf("server down opened %d tickets, want 1", len(threads)-before)
	}
	auto := threads[len(threads)-1]
	sb.say("[ticket] automatic ticket %s opened", auto.Name)
	sb.flushChannelMessages()
	sb.say("> Nitrado: %s starts again", s.name)
	sb.nitrado.SetStatus(s.id, "started")
	sb.app.sd.Invalidate(s.id)
	if err := sb.app.sched.Trigger(wctx, incidentWatchJob); err != nil {
		return fmt.Errorf("incident watch: %w", err)
	}
	ch, ok := sb.discord.Channel(auto.ID)
	if !ok || ch.ThreadMetadata == nil || !ch.ThreadMetadata.Archived {
		return fmt.Errorf("the automatic ticket did not close when %s came back", s.name)
	}
	sb.say("[ticket] %s closed itself: the server is up", auto.Name)
	return sb.showIncidentMetrics(wctx)
}

// showIncidentMetrics prints the incident and ticket lines of /metrics.
func (sb *sandbox) showIncidentMetrics(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+sb.httpAddr+"/metrics", nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("/metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("/metrics: %w", err)
	}
	found := false
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "bliss_incident") || strings.HasPrefix(l, "bliss_tickets") {
			sb.say("[metrics] %s", l)
			found = found || strings.HasPrefix(l, "bliss_incidents_total 1")
		}
	}
	if !found {
		return fmt.Errorf("/metrics does not count the incident")
	}
	return nil
}

func (sb *sandbox) threads() []*discordgo.Channel {
	var out []*discordgo.Channel
	for _, c := range sb.discord.Channels(sb.guild.ID) {
		if c.IsThread() {
			out = append(out, c)
		}
	}
	return out
}

func ticketThread(sb *sandbox, number int) string {
	prefix := fmt.Sprintf("ticket-%04d", number)
	for _, c := range sb.threads() {
		if strings.HasPrefix(c.Name, prefix) {
			return c.ID
		}
	}
	return ""
}

func (sb *sandbox) userNames(ids []string) []string {
	var out []string
	for _, id := range ids {
		name := id
		for n, u := range sb.users {
			if u.ID == id {
				name = "@" + n
			}
		}
		if k, ok := sb.botKinds[id]; ok {
			name = "[" + string(k) + " bot]"
		}
		out = append(out, name)
	}
	return out
}

// lastButtonIn finds the newest message in channel with a button labelled
// label and returns the message id and the button's custom id.
func (sb *sandbox) lastButtonIn(channel, label string) (string, string) {
	msgs := sb.discord.Messages(channel)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, c := range msgs[i].Components {
			row, ok := c.(*discordgo.ActionsRow)
			if !ok {
				continue
			}
			for _, x := range row.Components {
				if b, ok := x.(*discordgo.Button); ok && b.Label == label {
					return msgs[i].ID, b.CustomID
				}
			}
		}
	}
	return "", ""
}

// showTranscript prints the transcript file posted in channel and checks
// it holds want.
func (sb *sandbox) showTranscript(channel, name, want string) error {
	for _, m := range sb.discord.Messages(channel) {
		for _, a := range m.Attachments {
			if a.Filename != name {
				continue
			}
			f, ok := sb.discord.Attachment(a.URL)
			if !ok {
				return fmt.Errorf("transcript %s cannot be downloaded", a.URL)
			}
			sb.say("[ticket] %s posted in #ticket-log: %d bytes of self-contained HTML", name, len(f.Data))
			if !strings.Contains(string(f.Data), want) {
				return fmt.Errorf("transcript lacks %q", want)
			}
			return nil
		}
	}
	return fmt.Errorf("no %s in the ticket log", name)
}

// sceneTicketTrigger: staff add a trigger on chat lines; a player's
// "admin help" in game reaches the live feed, whose line hook
// (a.TriggerLine) opens an automatic ticket; the same cry again adds to
// that ticket instead of opening a second.
func sceneTicketTrigger(ctx context.Context, sb *sandbox) error {
	r, err := sb.command(ctx, bots.Ticket, "admin", "ticket", discordtest.SubCommandGroup("trigger", discordtest.SubCommand("add",
		discordtest.StringOpt("kind", "chat"), discordtest.StringOpt("pattern", `admin\s+help`), discordtest.StringOpt("label", "Admin help"))))
	if err != nil {
		return err
	}
	if err := expect(r, "/ticket trigger add", "Trigger added"); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 3*sb.opts.stepTimeout)
	defer cancel()
	s := sb.servers[0]
	tickets := sb.privateThreads // the chat bridge's public threads are not tickets
	before := len(tickets())
	say := func(line string) error {
		sb.say("> in game on %s: %s", s.name, line)
		s.rcon.AddChat(line)
		return sb.feedPoll(wctx, s.id)
	}
	if err := say("RexRider (Rex): ADMIN  HELP please, my base is being griefed"); err != nil {
		return err
	}
	var auto *discordgo.Channel
	if err := waitUntil(wctx, "the trigger's automatic ticket", func() bool {
		ts := tickets()
		if len(ts) > before {
			auto = ts[len(ts)-1]
		}
		return auto != nil
	}); err != nil {
		return err
	}
	m, err := sb.discord.WaitMessage(wctx, auto.ID, func(m *discordgo.Message) bool {
		return len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title, "trigger matched")
	})
	if err != nil {
		return fmt.Errorf("automatic ticket %s: %w", auto.Name, err)
	}
	if d := m.Embeds[0].Description; !strings.Contains(d, "Admin help") || !strings.Contains(d, "griefed") {
		return fmt.Errorf("the trigger ticket does not show the line: %s", d)
	}
	sb.say("[ticket] automatic ticket %s: %s", auto.Name, m.Embeds[0].Title)
	if err := say("RexRider (Rex): admin help!!"); err != nil {
		return err
	}
	if err := waitUntil(wctx, "the repeat recorded", func() bool {
		ins, err := sb.app.db.IncidentsOpen(wctx, sb.guild.ID)
		if err != nil {
			return false
		}
		for _, in := range ins {
			if in.Kind == "trigger" && in.Repeats >= 1 {
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	if n := len(tickets()); n != before+1 {
		return fmt.Errorf("a repeat opened another ticket: %d new", n-before)
	}
	sb.say("[ticket] the second cry is a repeat on %s, not a new ticket", auto.Name)
	return nil
}

// privateThreads are the guild's private threads (tickets), oldest first.
func (sb *sandbox) privateThreads() []*discordgo.Channel {
	var out []*discordgo.Channel
	for _, c := range sb.threads() {
		if c.Type == discordgo.ChannelTypeGuildPrivateThread {
			out = append(out, c)
		}
	}
	return out
}

// sceneTicketOrderRefund: a delivery whose RCON reply is silent is
// unconfirmed; jobs/delivery raises an incident, whose automatic ticket
// carries the order's Refund / Resend / Mark delivered buttons. Staff
// click Refund on the ticket: the click is handed to the AP bot, the order
// is refunded, and the ticket says the condition cleared and closes.
func sceneTicketOrderRefund(ctx context.Context, sb *sandbox) error {
	s := sb.servers[0]
	s.rcon.Handle("GiveItemToPlayer", func(string) string { return "" })
	defer s.rcon.Handle("GiveItemToPlayer", func(string) string { return "Gave 1 item(s) to player 4711" })
	sb.say("> in game on %s: GiveItemToPlayer answers nothing (the delivery cannot be proven)", s.name)
	o, err := sb.buyAndConfirm(ctx, bots.AP, "ap", "buy", "Metal helmet")
	if err != nil {
		return err
	}
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	if err := sb.deliveryNow(wctx); err != nil {
		return err
	}
	if got, _ := sb.order(ctx, o); got.State != storage.OrderUnconfirmed {
		return fmt.Errorf("order #%d is %s, want unconfirmed: %s", o, got.State, got.Note)
	}
	var thread string
	if err := waitUntil(wctx, "the order's automatic ticket", func() bool {
		for _, c := range sb.privateThreads() {
			for _, m := range sb.discord.Messages(c.ID) {
				if len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title, "automatic: delivery unconfirmed") &&
					strings.Contains(m.Embeds[0].Description, fmt.Sprintf("order \\#%d", o)) {
					thread = c.ID
				}
			}
		}
		return thread != ""
	}); err != nil {
		return err
	}
	ch, _ := sb.discord.Channel(thread)
	sb.say("[ticket] automatic ticket %s for order #%d", ch.Name, o)
	_, refund := sb.lastButtonIn(thread, "Refund")
	if refund == "" {
		return fmt.Errorf("the order's ticket has no Refund button")
	}
	sb.flushChannelMessages()
	r, err := sb.interact(ctx, bots.Ticket, "staff", "clicks “Refund” on the automatic ticket", discordtest.Interaction{
		Type: discordgo.InteractionMessageComponent, ChannelID: thread, CustomID: refund}, false)
	if err != nil {
		return err
	}
	if err := expect(r, "refund", "refunded"); err != nil {
		return err
	}
	if got, _ := sb.order(ctx, o); got.State != storage.OrderRefunded {
		return fmt.Errorf("order #%d is %s after Refund", o, got.State)
	}
	if err := waitUntil(wctx, "the ticket closed by the refund", func() bool {
		ch, ok := sb.discord.Channel(thread)
		return ok && ch.ThreadMetadata != nil && ch.ThreadMetadata.Archived
	}); err != nil {
		return err
	}
	cleared := false
	for _, m := range sb.discord.Messages(thread) {
		for _, e := range m.Embeds {
			cleared = cleared || (e.Title == "Cleared" && strings.Contains(e.Description, "was refunded"))
		}
	}
	if !cleared {
		return fmt.Errorf("the ticket does not say the order was refunded")
	}
	sb.say("[ticket] %s says the order was refunded and closed itself", ch.Name)
	return nil
}
