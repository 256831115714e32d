package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/storage"
)

// Economy scenes: AP (link by a chat code, earn from a session, buy, a
// delivery that fails once then succeeds, an automatic refund) and GP (a
// boost through the Nitrado fake credited after a link, an order through
// the desk).

var sandboxCode = regexp.MustCompile(`BL-[A-Z0-9]{6}`)

const (
	sbRexEOS  = "0002a1b2c3d4e5f60718293a4b5c6d7e"
	sbHelmet  = "/Game/PrimalEarth/CoreBlueprints/Items/Armor/Metal/PrimalItemArmor_MetalHelmet.PrimalItemArmor_MetalHelmet"
	sbChanOrd = sbChanAdminLog // the order desk posts beside the admin log in the sandbox
)

func (sb *sandbox) setLogChannels(ctx context.Context, kv map[string]string, values map[string]string) error {
	gs, err := sb.app.guilds.GuildSettings(ctx, sb.guild.ID)
	if err != nil {
		return err
	}
	for k, v := range kv {
		gs.LogChannels[k] = v
	}
	for k, v := range values {
		gs.Values[k] = v
	}
	return sb.app.guilds.SaveGuildSettings(ctx, gs)
}

// deliveryNow runs the delivery job once, after making the queued rows due
// (the sandbox does not wait out the retry backoff).
func (sb *sandbox) deliveryNow(ctx context.Context) error {
	rows, err := sb.app.db.OutboxDue(ctx, storage.DeliveryKind, time.Now().Add(time.Hour), 100)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := sb.app.db.OutboxRetry(ctx, r.ID, time.Now().Add(-time.Second), r.LastError); err != nil {
			return err
		}
	}
	return sb.app.sched.Trigger(ctx, deliveryJob)
}

func (sb *sandbox) order(ctx context.Context, id int64) (storage.Order, error) {
	return sb.app.db.GetOrder(ctx, id)
}

func sceneAPLinkByChat(ctx context.Context, sb *sandbox) error {
	s := sb.servers[0]
	r, err := sb.command(ctx, bots.AP, "player", "ap", discordtest.SubCommand("link", discordtest.StringOpt("name", "Rexy")))
	if err != nil {
		return err
	}
	code := sandboxCode.FindString(responseText(r))
	if code == "" {
		return fmt.Errorf("/ap link gave no code: %s", responseText(r))
	}
	if err := sb.app.db.SessionJoin(ctx, s.id, sbRexEOS, "RexRider", time.Now().Add(-200*time.Minute), storage.SessionSourceListPlayers); err != nil {
		return err
	}
	sb.say("> in game on %s: Wyvernqueen says “%s” (someone else's code: links nothing)", s.name, code)
	s.rcon.AddChat("Wyvernqueen (Wyv): " + code)
	sb.say("> in game on %s: RexRider (Rexy) says “%s”", s.name, code)
	s.rcon.AddChat("RexRider (Rexy): my code " + code)
	wctx, cancel := context.WithTimeout(ctx, 3*sb.opts.stepTimeout)
	defer cancel()
	// The live feed reads GetChat and hands player lines to OnGlobalChat;
	// without a feed job the sandbox hands them over itself.
	if err := sb.app.sched.Trigger(wctx, fmt.Sprintf("feed/%d", s.id)); errors.Is(err, jobs.ErrUnknownJob) {
		sb.app.OnGlobalChat(wctx, s.id, "Wyvernqueen", "Wyv", code)
		sb.app.OnGlobalChat(wctx, s.id, "RexRider", "Rexy", "my code "+code)
	}
	if err := waitUntil(wctx, "the chat link", func() bool {
		_, err := sb.app.db.LinkByDiscord(ctx, sb.guild.ID, sbUserPlayer)
		return err == nil
	}); err != nil {
		return err
	}
	r, err = sb.command(ctx, bots.AP, "player", "ap", discordtest.SubCommand("whoami"))
	if err != nil {
		return err
	}
	return expect(r, "/ap whoami", sbRexEOS, "verified by chat code")
}

func sceneAPEarn(ctx context.Context, sb *sandbox) error {
	s := sb.servers[0]
	if err := sb.app.db.SessionLeave(ctx, s.id, sbRexEOS, time.Now().Add(-5*time.Minute)); err != nil {
		return err
	}
	sb.say("[livefeed] RexRider played 3 h 15 min on %s (no AFK detection: time online counts)", s.name)
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	if err := sb.app.sched.Trigger(wctx, awardsJob); err != nil {
		return fmt.Errorf("awards: %w", err)
	}
	if err := sb.app.sched.Trigger(wctx, awardsJob); err != nil { // a re-run awards nothing more
		return fmt.Errorf("awards: %w", err)
	}
	r, err := sb.command(ctx, bots.AP, "player", "ap", discordtest.SubCommand("balance"))
	if err != nil {
		return err
	}
	if b, _ := sb.app.db.Balance(ctx, sb.guild.ID, storage.AP, sbUserPlayer); b < 20 {
		return fmt.Errorf("earned %d AP for 3 h 15 min, want at least 20", b)
	}
	return expect(r, "/ap balance", "AP")
}

func sceneAPBuyDelivery(ctx context.Context, sb *sandbox) error {
	s := sb.servers[0]
	if err := sb.app.db.SetLinkPlayerID(ctx, sb.guild.ID, sbRexEOS, 4711); err != nil {
		return err
	}
	sb.say("[save] RexRider's in-game player id is 4711")
	r, err := sb.command(ctx, bots.AP, "admin", "ap", discordtest.SubCommandGroup("shop", discordtest.SubCommand("add",
		discordtest.StringOpt("name", "Metal helmet"), discordtest.IntOpt("price", 10), discordtest.StringOpt("kind", "item"),
		discordtest.StringOpt("blueprint", sbHelmet), discordtest.StringOpt("description", "Keeps your head on"))))
	if err != nil {
		return err
	}
	if err := expect(r, "/ap shop add", "Item added"); err != nil {
		return err
	}
	var gives atomic.Int32
	s.rcon.Handle("GiveItemToPlayer", func(args string) string {
		if gives.Add(1) == 1 {
			return "Error: inventory busy"
		}
		return "Gave 1 item(s) to player 4711"
	})
	o, err := sb.buyAndConfirm(ctx, bots.AP, "ap", "buy", "Metal helmet")
	if err != nil {
		return err
	}
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	if err := sb.deliveryNow(wctx); err != nil {
		return err
	}
	got, _ := sb.order(ctx, o)
	sb.say("[delivery] attempt 1 on %s: %s → order %s (%s)", s.name, "Error: inventory busy", got.State, got.Note)
	if err := sb.deliveryNow(wctx); err != nil {
		return err
	}
	if got, _ = sb.order(ctx, o); got.State != storage.OrderDelivered {
		return fmt.Errorf("order #%d is %s after the retry: %s", o, got.State, got.Note)
	}
	sb.say("[delivery] attempt 2: %s", got.Note)
	for _, c := range s.rcon.Commands() {
		if strings.HasPrefix(c, "ServerChatTo") {
			sb.say("[game] %s", c) // the buyer is told in game
		}
	}
	r, err = sb.command(ctx, bots.AP, "player", "ap", discordtest.SubCommand("orders"))
	if err != nil {
		return err
	}
	return expect(r, "/ap orders", "delivered")
}

func sceneAPRefund(ctx context.Context, sb *sandbox) error {
	s := sb.servers[0]
	if err := sb.setLogChannels(ctx, nil, map[string]string{"ap_delivery_retries": "2"}); err != nil {
		return err
	}
	sb.say("[config] ap_delivery_retries = 2")
	s.rcon.Handle("GiveItemToPlayer", func(string) string { return "Error: no such player" })
	before, _ := sb.app.db.Balance(ctx, sb.guild.ID, storage.AP, sbUserPlayer)
	o, err := sb.buyAndConfirm(ctx, bots.AP, "ap", "buy", "Metal helmet")
	if err != nil {
		return err
	}
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	for i := 0; i < 2; i++ {
		if err := sb.deliveryNow(wctx); err != nil {
			return err
		}
	}
	got, _ := sb.order(ctx, o)
	after, _ := sb.app.db.Balance(ctx, sb.guild.ID, storage.AP, sbUserPlayer)
	sb.say("[delivery] order #%d %s: %s", o, got.State, got.Note)
	sb.say("[ledger] balance %d → %d AP (refund keyed by the order: at most once)", before, after)
	if got.State != storage.OrderRefunded || after != before {
		return fmt.Errorf("order #%d is %s, balance %d → %d", o, got.State, before, after)
	}
	return nil
}

// buyAndConfirm runs /<cmd> <sub> item and clicks Confirm; it returns the
// order id.
func (sb *sandbox) buyAndConfirm(ctx context.Context, k bots.BotKind, cmd, sub, item string) (int64, error) {
	r, err := sb.command(ctx, k, "player", cmd, discordtest.SubCommand(sub, discordtest.StringOpt("item", item)))
	if err != nil {
		return 0, err
	}
	var confirm string
	for _, row := range r.Data.Components {
		if ar, ok := row.(*discordgo.ActionsRow); ok {
			for _, c := range ar.Components {
				if b, ok := c.(*discordgo.Button); ok && b.Label == "Confirm" {
					confirm = b.CustomID
				}
			}
		}
	}
	if confirm == "" {
		return 0, fmt.Errorf("no Confirm button: %s", responseText(r))
	}
	r, err = sb.interact(ctx, k, "player", "clicks “Confirm”", discordtest.Interaction{Type: discordgo.InteractionMessageComponent, CustomID: confirm}, false)
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`Order #(\d+)`).FindStringSubmatch(responseText(r))
	if m == nil {
		return 0, fmt.Errorf("no order: %s", responseText(r))
	}
	return strconv.ParseInt(m[1], 10, 64)
}

func (sb *sandbox) inviteGP(ctx context.Context) error {
	b := sb.bots[bots.GP]
	if len(sb.discord.Commands(b, sb.guild.ID)) > 0 {
		return nil
	}
	if err := sb.discord.AddBotToGuild(b, sb.guild.ID); err != nil {
		return err
	}
	sb.say("[discord] Bliss GP joins the server")
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	return waitUntil(wctx, "GP's commands", func() bool { return len(sb.discord.Commands(b, sb.guild.ID)) > 0 })
}

func sceneGPBoost(ctx context.Context, sb *sandbox) error {
	if err := sb.inviteGP(ctx); err != nil {
		return err
	}
	s := sb.servers[0]
	if err := sb.setLogChannels(ctx, map[string]string{"donations": sbChanDonLog, "orders": sbChanOrd}, nil); err != nil {
		return err
	}
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	at := time.Now().UTC().Add(-48 * time.Hour)
	sb.nitrado.AddBoost(s.id, nitradotest.Boost{ID: 9001, Username: "PatOnNitrado", ExtendedFor: 7 * 24 * time.Hour, Amount: "$3.00", BoostedAt: at})
	sb.say("[nitrado] history of %s holds one earlier boost by PatOnNitrado ($3.00)", s.name)
	if err := sb.app.sched.Trigger(wctx, donationsJob); err != nil {
		return fmt.Errorf("donations: %w", err)
	}
	sb.flushChannelMessages()
	r, err := sb.command(ctx, bots.GP, "player", "gp", discordtest.SubCommand("link", discordtest.StringOpt("nitrado_username", "PatOnNitrado")))
	if err != nil {
		return err
	}
	code := sandboxCode.FindString(responseText(r))
	if code == "" {
		return fmt.Errorf("/gp link gave no code: %s", responseText(r))
	}
	sb.nitrado.AddBoost(s.id, nitradotest.Boost{ID: 9002, Username: "PatOnNitrado", ExtendedFor: 30 * 24 * time.Hour, Amount: "$5.00",
		Message: "Keep the island alive! " + code, BoostedAt: time.Now().UTC().Add(-time.Minute)})
	sb.say("[nitrado] PatOnNitrado boosts %s: $5.00, 30 days, message with the code", s.name)
	// The job reads each server every gp_boost_poll; the sandbox asks now.
	sb.app.economy.donationsRecheck()
	if err := sb.app.sched.Trigger(wctx, donationsJob); err != nil {
		return fmt.Errorf("donations: %w", err)
	}
	sb.flushChannelMessages()
	b, _ := sb.app.db.Balance(ctx, sb.guild.ID, storage.GP, sbUserPlayer)
	sb.say("[ledger] Pat Player has %d GP (both boosts, the earlier one credited once on link)", b)
	if b != 800 {
		return fmt.Errorf("GP after link %d, want 800", b)
	}
	return nil
}

func sceneGPDesk(ctx context.Context, sb *sandbox) error {
	r, err := sb.command(ctx, bots.GP, "admin", "gp", discordtest.SubCommandGroup("shop", discordtest.SubCommand("add",
		discordtest.StringOpt("name", "Base move"), discordtest.IntOpt("price", 500), discordtest.StringOpt("kind", "desk"),
		discordtest.StringOpt("description", "Staff move your base to a new spot"))))
	if err != nil {
		return err
	}
	if err := expect(r, "/gp shop add", "Item added"); err != nil {
		return err
	}
	o, err := sb.buyAndConfirm(ctx, bots.GP, "gp", "order", "Base move")
	if err != nil {
		return err
	}
	sb.flushChannelMessages()
	for _, step := range []string{"Accept", "Fulfil"} {
		msg, id := sb.lastButtonIn(sbChanOrd, step)
		if id == "" {
			return fmt.Errorf("no %s button on the desk post", step)
		}
		r, err := sb.interact(ctx, bots.GP, "admin", "clicks “"+step+"” on the desk post", discordtest.Interaction{
			Type: discordgo.InteractionMessageComponent, ChannelID: sbChanOrd, MessageID: msg, CustomID: id}, true)
		if err != nil {
			return err
		}
		if strings.Contains(responseText(r), "Already handled") {
			return fmt.Errorf("%s: %s", step, responseText(r))
		}
	}
	got, _ := sb.order(ctx, o)
	sb.say("[desk] order #%d %s by staff; the donor was told at each step", o, got.State)
	if got.State != storage.OrderFulfilled {
		return fmt.Errorf("desk order is %s", got.State)
	}
	return nil
}
