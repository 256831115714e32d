package bottest

import (
	"encoding/json"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/discordtest"
)

// Text is the whole answer (content, embeds, components, choices and the
// raw payload) as JSON, for substring assertions.
func Text(r discordtest.Response) string {
	b, _ := json.Marshal(r.Data)
	return string(b)
}

// Buttons maps the label of each button in components' action rows to
// its custom id.
func Buttons(components []discordgo.MessageComponent) map[string]string {
	out := map[string]string{}
	for _, b := range buttons(components) {
		out[b.Label] = b.CustomID
	}
	return out
}

// ButtonIDs are the custom ids of the buttons in components' action
// rows, in order.
func ButtonIDs(components []discordgo.MessageComponent) []string {
	var out []string
	for _, b := range buttons(components) {
		out = append(out, b.CustomID)
	}
	return out
}

func buttons(components []discordgo.MessageComponent) []*discordgo.Button {
	var out []*discordgo.Button
	for _, row := range components {
		if ar, ok := row.(*discordgo.ActionsRow); ok {
			for _, c := range ar.Components {
				if b, ok := c.(*discordgo.Button); ok {
					out = append(out, b)
				}
			}
		}
	}
	return out
}
