package bots

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// TextInput is one field of a modal.
type TextInput struct {
	ID          string // custom_id, 1-100
	Label       string // 1-45
	Paragraph   bool   // multi-line
	Placeholder string // ≤ 100
	Value       string // prefilled, ≤ 4000
	Required    bool
	MinLength   int // 0-4000
	MaxLength   int // 0 (Discord default 4000) or 1-4000
}

// NewModal returns a modal response built only from ActionRow + TextInput
// (the only modal layout discordgo v0.29.0 can decode on submit). It checks
// Discord's limits: title 1-45, 1-5 inputs, label 1-45, ids 1-100,
// placeholder ≤ 100, value and lengths ≤ 4000.
func NewModal(customID, title string, inputs ...TextInput) (*Response, error) {
	var errs []error
	if n := utf8.RuneCountInString(customID); n < 1 || n > MaxCustomID {
		errs = append(errs, fmt.Errorf("modal: custom id length %d", n))
	}
	if n := utf8.RuneCountInString(title); n < 1 || n > 45 {
		errs = append(errs, fmt.Errorf("modal: title length %d", n))
	}
	if len(inputs) < 1 || len(inputs) > 5 {
		errs = append(errs, fmt.Errorf("modal: %d inputs, want 1-5", len(inputs)))
	}
	rows := make([]discordgo.MessageComponent, 0, len(inputs))
	seen := map[string]bool{}
	for _, in := range inputs {
		if n := utf8.RuneCountInString(in.ID); n < 1 || n > MaxCustomID || seen[in.ID] {
			errs = append(errs, fmt.Errorf("modal: input id %q", in.ID))
		}
		seen[in.ID] = true
		if n := utf8.RuneCountInString(in.Label); n < 1 || n > 45 {
			errs = append(errs, fmt.Errorf("modal: input %q label length %d", in.ID, n))
		}
		if utf8.RuneCountInString(in.Placeholder) > 100 || utf8.RuneCountInString(in.Value) > 4000 {
			errs = append(errs, fmt.Errorf("modal: input %q placeholder or value too long", in.ID))
		}
		if in.MinLength < 0 || in.MinLength > 4000 || in.MaxLength < 0 || in.MaxLength > 4000 ||
			(in.MaxLength > 0 && in.MinLength > in.MaxLength) {
			errs = append(errs, fmt.Errorf("modal: input %q bad length bounds", in.ID))
		}
		style := discordgo.TextInputShort
		if in.Paragraph {
			style = discordgo.TextInputParagraph
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
			CustomID: in.ID, Label: in.Label, Style: style, Placeholder: in.Placeholder, Value: in.Value,
			Required: in.Required, MinLength: in.MinLength, MaxLength: in.MaxLength,
		}}})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Response{Modal: &discordgo.InteractionResponseData{CustomID: customID, Title: title, Components: rows}}, nil
}

// ModalValues returns the submitted text input values by custom_id. It
// tolerates any shape Discord (or an attacker) sends: unknown components are
// skipped, never dereferenced blindly.
func ModalValues(data discordgo.ModalSubmitInteractionData) map[string]string {
	out := map[string]string{}
	var walk func(cs []discordgo.MessageComponent, depth int)
	walk = func(cs []discordgo.MessageComponent, depth int) {
		if depth > 3 {
			return
		}
		for _, c := range cs {
			switch v := c.(type) {
			case *discordgo.ActionsRow:
				if v != nil {
					walk(v.Components, depth+1)
				}
			case discordgo.ActionsRow:
				walk(v.Components, depth+1)
			case *discordgo.TextInput:
				if v != nil && v.CustomID != "" {
					out[v.CustomID] = v.Value
				}
			case discordgo.TextInput:
				if v.CustomID != "" {
					out[v.CustomID] = v.Value
				}
			}
		}
	}
	walk(data.Components, 0)
	return out
}
