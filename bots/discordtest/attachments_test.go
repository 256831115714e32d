package discordtest_test

import (
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/discordtest"
)

// TestAttachmentOption: an attachment option carries the attachment's ID
// and Interaction.Attachments arrive as resolved.attachments (with the
// test's URL), beside the other resolved data.
func TestAttachmentOption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.Options{}, 1)
	bot := e.bots[0]
	s := e.open(bot, nil)
	if _, err := s.ApplicationCommandBulkOverwrite(bot.AppID, "", []*discordgo.ApplicationCommand{{
		Name: "upload", Description: "Upload",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionAttachment, Name: "file", Description: "the file", Required: true},
			{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "who"},
		},
	}}); err != nil {
		t.Fatal(err)
	}
	in := discordtest.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "100", ChannelID: "300", User: e.user,
		CommandName: "upload", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			discordtest.AttachmentOpt("file", "777"), discordtest.UserOpt("user", "500")},
		Attachments: []*discordgo.MessageAttachment{{ID: "777", Filename: "map.png", URL: "http://127.0.0.1:1/map.png", Size: 42,
			ContentType: "image/png"}}}
	if _, err := e.srv.Interact(ctxT(t), bot, discordtest.Interaction{Type: in.Type, GuildID: "100", ChannelID: "300", User: e.user,
		CommandName: "upload", Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.StringOpt("file", "777")}}); err == nil {
		t.Error("a string value for an attachment option was dispatched")
	}
	h, err := e.srv.Interact(ctxT(t), bot, in)
	if err != nil {
		t.Fatal(err)
	}
	data := h.Interaction().ApplicationCommandData()
	id, _ := data.Options[0].Value.(string)
	a := data.Resolved.Attachments[id]
	if a == nil || a.URL != "http://127.0.0.1:1/map.png" || a.Filename != "map.png" || a.Size != 42 {
		t.Fatalf("resolved attachment %+v", a)
	}
	if data.Resolved.Users["500"] == nil {
		t.Fatalf("the user option is no longer resolved: %+v", data.Resolved)
	}
	if in.Attachments[0].ID != "777" || in.Resolved != nil {
		t.Fatal("Interact changed the caller's interaction")
	}
}
