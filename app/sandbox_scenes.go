package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/jobs"
)

// defaultScenario walks an admin through a first setup: bots connect, a
// player is refused, the admin runs /setup, picks staff roles and
// categories, links both Nitrado servers, the appliance reaches them over
// RCON, a parse is triggered, and /status and /healthz are read.
func defaultScenario() []scene {
	return []scene{
		{name: "connect", run: sceneConnect},
		{name: "setup refused for a player", run: sceneSetupRefused},
		{name: "setup wizard", run: sceneSetupWizard},
		{name: "setup choices", run: sceneSetupChoices},
		{name: "config view by staff", run: sceneConfigView},
		{name: "link servers", run: sceneLinkServers},
		{name: "rcon through the appliance", run: sceneRCON},
		{name: "save parse", run: sceneParse},
		{name: "live feed: chat bridge both ways", run: sceneFeedBridge},
		{name: "live feed: admin log thread", run: sceneFeedLog},
		{name: "ticket from the panel", run: sceneTicketFromPanel},
		{name: "automatic ticket: server down", run: sceneTicketServerDown},
		{name: "automatic ticket: staff trigger on chat", run: sceneTicketTrigger},
		{name: "server bot: moderation", run: sceneServerModeration},
		{name: "server bot: countdown restart", run: sceneServerCountdown},
		{name: "server bot: /info decay", run: sceneInfoDecay},
		{name: "ap: link by a code said in chat", run: sceneAPLinkByChat},
		{name: "ap: earn from a play session", run: sceneAPEarn},
		{name: "ap: buy, delivery fails once then succeeds", run: sceneAPBuyDelivery},
		{name: "ap: automatic refund", run: sceneAPRefund},
		{name: "automatic ticket: unconfirmed delivery refunded from the ticket", run: sceneTicketOrderRefund},
		{name: "gp: boost credited after a link", run: sceneGPBoost},
		{name: "gp: order desk", run: sceneGPDesk},
		{name: "assistant: /timestamp", run: sceneAssistantTimestamp},
		{name: "assistant: /teleport from the save", run: sceneAssistantTeleport},
		{name: "live feed: a tribe's private thread and its linked member", run: sceneFeedTribeThread},
		{name: "status", run: sceneStatus},
		{name: "healthz", run: sceneHealthz},
	}
}

// ---- helpers for scenes ----

// stepCtx bounds one wait of a scene.
func (sb *sandbox) stepCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, sb.opts.stepTimeout)
}

// waitUntil polls cond (for state no fake or component signals) until it
// holds or ctx ends.
func waitUntil(ctx context.Context, what string, cond func() bool) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// interact sends one interaction from a guild member to bot k in #general,
// waits for the final answer and prints it. echo is the "> ..." line.
func (sb *sandbox) interact(ctx context.Context, k bots.BotKind, who, echo string, in discordtest.Interaction, brief bool) (discordtest.Response, error) {
	user, ok := sb.users[who]
	if !ok {
		return discordtest.Response{}, fmt.Errorf("unknown sandbox user %q", who)
	}
	sb.say("> @%s %s", who, echo)
	in.User, in.GuildID = user, sb.guild.ID
	if in.ChannelID == "" {
		in.ChannelID = sbChanGeneral
	}
	if in.Type == 0 {
		in.Type = discordgo.InteractionApplicationCommand
	}
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	h, err := sb.discord.Interact(wctx, sb.bots[k], in)
	if err != nil {
		return discordtest.Response{}, fmt.Errorf("%s: %w", echo, err)
	}
	r, err := h.WaitFinal(wctx)
	if err != nil {
		return discordtest.Response{}, fmt.Errorf("%s: no answer from %s: %w", echo, k, err)
	}
	for _, resp := range h.Responses() {
		if resp.MessageID != "" {
			sb.seenMsgs[resp.MessageID] = true
		}
	}
	switch {
	case brief:
		sb.say("%s ✔", responseHeader(string(k), r))
	case r.Type == discordgo.InteractionApplicationCommandAutocompleteResult:
		var choices []string
		for _, c := range r.Data.Choices {
			if c != nil {
				choices = append(choices, fmt.Sprintf("%s → %v", c.Name, c.Value))
			}
		}
		if len(choices) == 0 {
			choices = []string{"(no choices)"}
		}
		sb.block(responseHeader(string(k), r), strings.Join(choices, "\n"), nil, nil)
	default:
		sb.block(responseHeader(string(k), r), r.Data.Content, r.Data.Embeds, r.Data.Components)
	}
	return r, nil
}

// command runs a slash command; opts are shown as name:value.
func (sb *sandbox) command(ctx context.Context, k bots.BotKind, who, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) (discordtest.Response, error) {
	echo := "/" + name + optionsEcho(opts)
	return sb.interact(ctx, k, who, echo, discordtest.Interaction{CommandName: name, Options: opts}, false)
}

func optionsEcho(opts []*discordgo.ApplicationCommandInteractionDataOption) string {
	var b strings.Builder
	for _, o := range opts {
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
			b.WriteString(" " + o.Name + optionsEcho(o.Options))
		default:
			fmt.Fprintf(&b, " %s:%v", o.Name, o.Value)
		}
	}
	return b.String()
}

// selectValues picks values in a select menu of a bot message.
func (sb *sandbox) selectValues(ctx context.Context, k bots.BotKind, who, customID string, typ discordgo.ComponentType, echo string, values ...string) (discordtest.Response, error) {
	return sb.interact(ctx, k, who, echo, discordtest.Interaction{Type: discordgo.InteractionMessageComponent,
		CustomID: customID, ComponentType: typ, Values: values}, true)
}

func expect(r discordtest.Response, what string, wants ...string) error {
	text := responseText(r)
	for _, w := range wants {
		if !strings.Contains(text, w) {
			return fmt.Errorf("%s: answer lacks %q:\n%s", what, w, text)
		}
	}
	return nil
}

// ---- scenes ----

func sceneConnect(ctx context.Context, sb *sandbox) error {
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	for _, k := range bots.Kinds() {
		if err := sb.discord.WaitConnected(wctx, sb.bots[k]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	master := sb.bots[bots.Master]
	call, err := sb.discord.WaitCall(wctx, master, discordtest.Route("PUT", "/applications/*/guilds/*/commands"))
	if err != nil {
		return fmt.Errorf("master never registered its commands: %w", err)
	}
	if call.Status >= 300 {
		return fmt.Errorf("master's command registration answered %d: %s", call.Status, call.Response)
	}
	sup := sb.app.sup
	if err := waitUntil(wctx, "six connected sessions", func() bool {
		for _, st := range sup.Status() {
			if st.State != bots.StateConnected {
				return false
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("%w: %+v", err, sup.Status())
	}
	for _, k := range bots.Kinds() {
		b := sb.bots[k]
		line := fmt.Sprintf("[%s] connected as %s (%s)", k, b.Username, k.Info().DisplayName)
		cmds := sb.discord.Commands(b, sb.guild.ID)
		switch {
		case k == bots.GP:
			line += " — not in " + sb.guild.Name + " yet"
		case len(cmds) > 0:
			var names []string
			for _, c := range cmds {
				names = append(names, "/"+c.Name)
			}
			line += fmt.Sprintf(" — registered %d commands in %s: %s", len(cmds), sb.guild.Name, strings.Join(names, " "))
		default:
			line += " — in " + sb.guild.Name
		}
		sb.say("%s", line)
	}
	sb.say("[appliance] serving /healthz on %s", sb.httpAddr)
	return nil
}

func sceneSetupRefused(ctx context.Context, sb *sandbox) error {
	r, err := sb.command(ctx, bots.Master, "player", "setup")
	if err != nil {
		return err
	}
	if !r.Ephemeral() || !strings.Contains(strings.ToLower(responseText(r)), "staff role") {
		return fmt.Errorf("/setup by a player was not refused: %s", responseText(r))
	}
	return nil
}

func sceneSetupWizard(ctx context.Context, sb *sandbox) error {
	r, err := sb.command(ctx, bots.Master, "admin", "setup")
	if err != nil {
		return err
	}
	gp := sb.bots[bots.GP]
	return expect(r, "/setup", "Bliss setup", bots.InviteURL(bots.GP, gp.AppID, sb.guild.ID))
}

func sceneSetupChoices(ctx context.Context, sb *sandbox) error {
	steps := []struct {
		id     string
		typ    discordgo.ComponentType
		echo   string
		values []string
	}{
		{"setup:set:staff_role_ids", discordgo.RoleSelectMenuComponent, "picks @Staff in “Roles that may run staff commands”", []string{sbRoleStaff}},
		{"setup:set:chat_bridge_category", discordgo.ChannelSelectMenuComponent, "picks #Chat Bridge in “Category holding the in-game chat bridge channels”", []string{sbChanBridge}},
		{"setup:set:ticket_category", discordgo.ChannelSelectMenuComponent, "picks #Tickets in “Category new tickets open in”", []string{sbChanTickets}},
		{"setup:set:admin_log_channel", discordgo.ChannelSelectMenuComponent, "picks #admin-log in “Staff actions” (admin log)", []string{sbChanAdminLog}},
		{"setup:set:donation_log_channel", discordgo.ChannelSelectMenuComponent, "picks #donation-log in “Donations received” (page 3)", []string{sbChanDonLog}},
		{"setup:set:ticket_log_channel", discordgo.ChannelSelectMenuComponent, "picks #ticket-log in “Ticket transcripts” (page 2)", []string{sbChanTickLog}},
	}
	for _, s := range steps {
		r, err := sb.selectValues(ctx, bots.Master, "admin", s.id, s.typ, s.echo, s.values...)
		if err != nil {
			return err
		}
		if r.Type != discordgo.InteractionResponseUpdateMessage {
			return fmt.Errorf("%s answered with type %d: %s", s.id, r.Type, responseText(r))
		}
		if err := expect(r, s.id, s.values[0]); err != nil {
			return err
		}
	}
	return nil
}

func sceneConfigView(ctx context.Context, sb *sandbox) error {
	r, err := sb.command(ctx, bots.Master, "staff", "config", discordtest.SubCommand("view"))
	if err != nil {
		return err
	}
	if strings.Contains(strings.ToLower(responseText(r)), "staff role") && !strings.Contains(responseText(r), sbRoleStaff) {
		return fmt.Errorf("staff member refused after the Staff role was configured: %s", responseText(r))
	}
	return expect(r, "/config view", sbRoleStaff, sbChanBridge, sbChanTickets)
}

func sceneLinkServers(ctx context.Context, sb *sandbox) error {
	for _, s := range sb.servers {
		r, err := sb.command(ctx, bots.Master, "admin", "servers", discordtest.SubCommand("add",
			discordtest.StringOpt("service_id", itoa(s.id)), discordtest.StringOpt("name", s.name), discordtest.StringOpt("cluster", s.cluster)))
		if err != nil {
			return err
		}
		if err := expect(r, "/servers add", "linked", itoa(s.id)); err != nil {
			return err
		}
	}
	r, err := sb.command(ctx, bots.Master, "admin", "servers", discordtest.SubCommand("list"))
	if err != nil {
		return err
	}
	for _, s := range sb.servers {
		if err := expect(r, "/servers list", s.name); err != nil {
			return err
		}
	}
	// Autocomplete of /servers remove offers the linked servers.
	first := sb.servers[0]
	typed := first.name[:3]
	r, err = sb.interact(ctx, bots.Master, "admin", "/servers remove service_id:"+typed+"… (autocomplete)", discordtest.Interaction{
		Type: discordgo.InteractionApplicationCommandAutocomplete, CommandName: "servers",
		Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.SubCommand("remove",
			discordtest.Focused(discordtest.StringOpt("service_id", typed)))}}, false)
	if err != nil {
		return err
	}
	return expect(r, "/servers remove autocomplete", first.name+" ("+itoa(first.id)+")")
}

// sceneRCON makes the appliance pick up the linked servers now (instead of
// at its next minutely sync) and reach each one through its RCON pool: the
// address and password come from the Nitrado fake's server details.
func sceneRCON(ctx context.Context, sb *sandbox) error {
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	if err := sb.app.syncServers(wctx); err != nil {
		return err
	}
	for _, s := range sb.servers {
		for _, cmd := range []string{rcon.ListPlayers(), rcon.GetChat()} {
			sb.say("> rcon %s: %s (via the appliance: Nitrado details → RCON pool)", s.name, cmd)
			out, err := sb.app.rcon.Exec(wctx, s.id, cmd)
			if err != nil {
				return fmt.Errorf("rcon %s %s: %w", s.name, cmd, err)
			}
			out = strings.TrimSpace(out)
			sb.say("[rcon %s]", s.name)
			for _, l := range strings.Split(out, "\n") {
				sb.say("    %s", strings.TrimSpace(l))
			}
			if cmd == rcon.ListPlayers() && !strings.Contains(out, ",") {
				return fmt.Errorf("rcon %s: ListPlayers shows nobody: %q", s.name, out)
			}
		}
	}
	return nil
}

// sceneParse triggers the save parse of the first linked server through the
// scheduler, as the hourly schedule would run it.
func sceneParse(ctx context.Context, sb *sandbox) error {
	s := sb.servers[0]
	name := jobs.ParseJobName(s.id)
	sb.say("> trigger %s (%s, save %s)", name, s.name, s.savePath)
	wctx, cancel := context.WithTimeout(ctx, 4*sb.opts.stepTimeout)
	defer cancel()
	start := time.Now()
	err := sb.app.sched.Trigger(wctx, name)
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		sb.say("[jobs] %s failed after %s: %s", name, took, oneLine(err))
		return err
	}
	sb.say("[jobs] %s done in %s", name, took)
	info, err := sb.app.db.LastSnapshot(ctx, s.id)
	if err != nil {
		return fmt.Errorf("no snapshot after the parse: %w", err)
	}
	sb.say("[jobs] snapshot of %s (%s, save v%d): %d players, %d tribes, %d tamed / %d wild dinos, %d structures in %d bases, %d failed rows; download %s, decode %s",
		s.name, info.Map, info.SaveVersion, info.Players, info.Tribes, info.TamedDinos, info.WildDinos, info.Structures, info.Bases,
		info.RowsFailed, info.Download.Round(time.Millisecond), info.Decode.Round(time.Millisecond))
	if info.Players == 0 || info.Structures == 0 {
		return fmt.Errorf("snapshot of %s is empty: %+v", s.name, info)
	}
	bases, err := sb.app.db.Bases(ctx, s.id, true, 3)
	if err != nil {
		return err
	}
	for _, b := range bases {
		sb.say("    base of %s: %d structures (%s tier), decays %s", b.OwnerName, b.Structures, b.DecayTier, b.DecaysAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func sceneStatus(ctx context.Context, sb *sandbox) error {
	r, err := sb.command(ctx, bots.Master, "admin", "status")
	if err != nil {
		return err
	}
	if err := expect(r, "/status", "Bliss status", "Sessions"); err != nil {
		return err
	}
	if n := strings.Count(responseText(r), "— connected"); n != len(bots.Kinds()) {
		return fmt.Errorf("/status shows %d connected sessions, want %d:\n%s", n, len(bots.Kinds()), responseText(r))
	}
	return nil
}

func sceneHealthz(ctx context.Context, sb *sandbox) error {
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(wctx, http.MethodGet, "http://"+sb.httpAddr+"/healthz", nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("/healthz: %w", err)
	}
	defer resp.Body.Close()
	var h healthReport
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return fmt.Errorf("/healthz: HTTP %d: %w", resp.StatusCode, err)
	}
	storage := StateOK
	for _, c := range h.Storage {
		if c.State != StateOK {
			storage = c.Name + " " + c.State
		}
	}
	var botsOK, botsAll int
	var notOK []string
	for _, c := range h.Components {
		if strings.HasPrefix(c.Name, "bot/") {
			botsAll++
			if c.State == StateOK {
				botsOK++
			}
		}
		if c.State != StateOK {
			notOK = append(notOK, fmt.Sprintf("%s %s (%s)", c.Name, c.State, c.Detail))
		}
	}
	sb.say("== healthz: %s (storage %s, %d/%d bots connected, %d components)", h.Status, storage, botsOK, botsAll, len(h.Components))
	for _, n := range notOK {
		sb.say("   %s", n)
	}
	switch {
	case resp.StatusCode != http.StatusOK || h.Status == StateDown:
		return fmt.Errorf("/healthz: HTTP %d, status %s", resp.StatusCode, h.Status)
	case storage != StateOK:
		return fmt.Errorf("/healthz: storage %s", storage)
	case botsOK != len(bots.Kinds()):
		return fmt.Errorf("/healthz: %d of %d bots connected", botsOK, len(bots.Kinds()))
	}
	return nil
}
