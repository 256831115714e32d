package tickets_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/ticketstore"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
)

// TestE2EClaimReadOnly: with ticket_claim_readonly and Discord's
// permission checks, a claimed ticket refuses other staff's messages (they
// are deleted, one notice per person, kept in the staff transcript as
// deleted); the claimer, the opener and administrators write; after the
// claim is released, every staff member writes again. Where Bliss lacks
// Manage Messages, the ticket says so once and nothing is removed.
func TestE2EClaimReadOnly(t *testing.T) {
	w := newWorldStrict(t, map[string]string{"ticket_channel": ticketCh, "ticket_claim_readonly": "true", "ticket_cooldown": "0s"}, true)
	ctx := context.Background()
	store := ticketstore.New(w.db)
	w.clock.Advance(time.Hour) // message times are never "in the future" of the bot's clock
	open := w.addType("Quick", "")
	thread := threadOf(t, w.click(playerID, supportCh, open))
	tk, err := store.ByThread(ctx, thread)
	if err != nil {
		t.Fatal(err)
	}
	// kept sends a message and waits until the bot has counted it as
	// activity (the last step for a message it keeps).
	kept := func(who, text string) {
		t.Helper()
		m, err := w.fake.SendMessage(thread, user(who), text)
		if err != nil {
			t.Fatal(err)
		}
		bottest.WaitFor(w.t, "message of "+who+" handled", func() bool {
			cur, err := store.ByID(ctx, tk.ID)
			return err == nil && cur.LastActive.Add(time.Millisecond).After(m.Timestamp)
		})
		if !hasMessage(w.fake.Messages(thread), text) {
			t.Fatalf("%q by %s was removed", text, who)
		}
	}
	refused := func(text string) {
		t.Helper()
		if _, err := w.fake.SendMessage(thread, user(staff2ID), text); err != nil {
			t.Fatal(err)
		}
		bottest.WaitFor(w.t, "the refused message removed", func() bool { return !hasMessage(w.fake.Messages(thread), text) })
	}
	kept(staff2ID, "before the claim anyone writes")
	claim := bottest.Buttons(w.fake.Messages(thread)[0].Components)["Claim"]
	if r := w.click(staff1ID, thread, claim); !strings.Contains(bottest.Text(r), "is yours") {
		t.Fatalf("claim: %s", bottest.Text(r))
	}
	if !hasEmbed(w.fake.Messages(thread), "read along") {
		t.Error("the claim message does not say the ticket is read-only for other staff")
	}
	refused("let me handle this instead")
	bottest.WaitFor(w.t, "the notice to the refused staff member", func() bool { return countEmbeds(w.fake.Messages(thread), "Claimed ticket") == 1 })
	refused("second try")
	kept(staff1ID, "claimer here")
	kept(playerID, "opener here")
	kept(adminID, "admin here")
	if n := countEmbeds(w.fake.Messages(thread), "Claimed ticket"); n != 1 {
		t.Fatalf("%d notices, want one per person every few minutes", n)
	}
	r := w.command(staff1ID, thread, discordtest.SubCommand("transcript", discordtest.IntOpt("number", 1)))
	if len(r.Data.Files) != 1 || !strings.Contains(string(r.Data.Files[0].Data), "let me handle this instead") {
		t.Fatalf("the refused message is not in the staff transcript: %s", bottest.Text(r))
	}
	if r := w.command(staff1ID, thread, discordtest.SubCommand("unclaim")); !strings.Contains(bottest.Text(r), "is unclaimed") {
		t.Fatalf("unclaim: %s", bottest.Text(r))
	}
	kept(staff2ID, "after the unclaim anyone writes")
	w.noErrors()

	// A ticket channel without Manage Messages for Bliss: said once, nothing removed.
	gs, err := w.store.GuildSettings(ctx, w.guild.ID)
	if err != nil {
		t.Fatal(err)
	}
	gs.Values["ticket_channel"] = supportCh
	if err := w.store.SaveGuildSettings(ctx, gs); err != nil {
		t.Fatal(err)
	}
	thread = threadOf(t, w.click(playerID, supportCh, open))
	if tk, err = store.ByThread(ctx, thread); err != nil {
		t.Fatal(err)
	}
	claim = bottest.Buttons(w.fake.Messages(thread)[0].Components)["Claim"]
	if r := w.click(staff1ID, thread, claim); !strings.Contains(bottest.Text(r), "is yours") {
		t.Fatalf("claim: %s", bottest.Text(r))
	}
	for i := 0; i < 2; i++ {
		if _, err := w.fake.SendMessage(thread, user(staff2ID), "no permission to remove me"); err != nil {
			t.Fatal(err)
		}
	}
	bottest.WaitFor(w.t, "the missing-permission notice", func() bool { return hasEmbed(w.fake.Messages(thread), "Manage Messages") })
	kept(staff1ID, "sync")
	if n := countEmbeds(w.fake.Messages(thread), "Read-only claim not enforced"); n != 1 {
		t.Fatalf("%d permission notices, want 1", n)
	}
	if !hasMessage(w.fake.Messages(thread), "no permission to remove me") {
		t.Fatal("a message was removed without the permission")
	}
}

func hasMessage(ms []*discordgo.Message, content string) bool {
	for _, m := range ms {
		if m.Content == content {
			return true
		}
	}
	return false
}

func hasEmbed(ms []*discordgo.Message, sub string) bool { return countEmbeds(ms, sub) > 0 }

func countEmbeds(ms []*discordgo.Message, sub string) int {
	n := 0
	for _, m := range ms {
		for _, e := range m.Embeds {
			if strings.Contains(e.Title, sub) || strings.Contains(e.Description, sub) {
				n++
			}
		}
	}
	return n
}
