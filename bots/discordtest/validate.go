package discordtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord limits enforced by the fake (docs §3).
const (
	MaxContentLength       = 2000
	MaxEmbeds              = 10
	MaxEmbedTitle          = 256
	MaxEmbedDescription    = 4096
	MaxEmbedFields         = 25
	MaxEmbedFieldName      = 256
	MaxEmbedFieldValue     = 1024
	MaxEmbedFooter         = 2048
	MaxEmbedAuthorName     = 256
	MaxEmbedTotal          = 6000
	MaxActionRows          = 5
	MaxButtonsPerRow       = 5
	MaxComponentsV2        = 40
	MaxCustomID            = 100
	MaxButtonLabel         = 80
	MaxButtonURL           = 512
	MaxSelectOptions       = 25
	MaxSelectOptionText    = 100
	MaxSelectPlaceholder   = 150
	MaxModalTitle          = 45
	MaxModalRows           = 5
	MaxTextInputLabel      = 45
	MaxTextInputValue      = 4000
	MaxTextInputHolder     = 100
	MaxAutocompleteChoices = 25
	MaxChatCommands        = 100
	MaxContextCommands     = 15 // per type (USER, MESSAGE)
	MaxCommandName         = 32
	MaxCommandDescription  = 100
	MaxCommandOptions      = 25
	MaxCommandChoices      = 25
	MaxChoiceName          = 100
	MaxChoiceStringValue   = 100
	MaxCommandTotal        = 8000
	MaxChannelName         = 100
)

var commandNameRE = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

// formErrors collects Discord "Invalid Form Body" errors.
type formErrors struct {
	list []fieldErr
}

type fieldErr struct {
	path []string
	code string
	msg  string
}

func (f *formErrors) add(path []string, code, msg string) {
	f.list = append(f.list, fieldErr{path: append([]string(nil), path...), code: code, msg: msg})
}

func (f *formErrors) maxLen(path []string, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		f.add(path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", max))
	}
}

func (f *formErrors) lenRange(path []string, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		f.add(path, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between %d and %d in length.", min, max))
	}
}

func (f *formErrors) maxItems(path []string, n, max int) {
	if n > max {
		f.add(path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", max))
	}
}

func (f *formErrors) empty() bool { return len(f.list) == 0 }

// body builds Discord's nested error object.
func (f *formErrors) body() map[string]any {
	root := map[string]any{}
	for _, e := range f.list {
		node := root
		for _, p := range e.path {
			child, ok := node[p].(map[string]any)
			if !ok {
				child = map[string]any{}
				node[p] = child
			}
			node = child
		}
		errs, _ := node["_errors"].([]any)
		node["_errors"] = append(errs, map[string]any{"code": e.code, "message": e.msg})
	}
	return root
}

func (f *formErrors) String() string {
	var parts []string
	for _, e := range f.list {
		parts = append(parts, strings.Join(e.path, ".")+": "+e.msg)
	}
	return strings.Join(parts, "; ")
}

func p(base []string, more ...any) []string {
	out := append([]string(nil), base...)
	for _, m := range more {
		switch v := m.(type) {
		case string:
			out = append(out, v)
		case int:
			out = append(out, strconv.Itoa(v))
		default:
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}

// messageBody is the union of message create/edit, webhook and interaction
// callback message payloads.
type messageBody struct {
	Content          *string                     `json:"content"`
	Embeds           *[]*discordgo.MessageEmbed  `json:"embeds"`
	Embed            *discordgo.MessageEmbed     `json:"embed"`
	Components       *[]json.RawMessage          `json:"components"`
	Flags            *discordgo.MessageFlags     `json:"flags"`
	TTS              bool                        `json:"tts"`
	StickerIDs       []string                    `json:"sticker_ids"`
	Poll             json.RawMessage             `json:"poll"`
	MessageReference *discordgo.MessageReference `json:"message_reference"`
	Attachments      json.RawMessage             `json:"attachments"`
	AllowedMentions  json.RawMessage             `json:"allowed_mentions"`
	Nonce            json.RawMessage             `json:"nonce"`         // nonce.go
	EnforceNonce     bool                        `json:"enforce_nonce"` // nonce.go

	// autocomplete
	Choices *[]*discordgo.ApplicationCommandOptionChoice `json:"choices"`
	// modal
	CustomID string `json:"custom_id"`
	Title    string `json:"title"`
}

func (m *messageBody) embeds() []*discordgo.MessageEmbed {
	if m.Embeds != nil {
		return *m.Embeds
	}
	if m.Embed != nil {
		return []*discordgo.MessageEmbed{m.Embed}
	}
	return nil
}

func (m *messageBody) components() []json.RawMessage {
	if m.Components == nil {
		return nil
	}
	return *m.Components
}

func (m *messageBody) flags() discordgo.MessageFlags {
	if m.Flags == nil {
		return 0
	}
	return *m.Flags
}

// validateMessage checks content, embed and component limits. create
// requires non-empty content (files count as content).
func validateMessage(f *formErrors, base []string, m *messageBody, files int, create bool) {
	if m.Content != nil {
		f.maxLen(p(base, "content"), *m.Content, MaxContentLength)
	}
	embeds := m.embeds()
	f.maxItems(p(base, "embeds"), len(embeds), MaxEmbeds)
	total := 0
	for i, e := range embeds {
		if e == nil {
			continue
		}
		eb := p(base, "embeds", i)
		f.maxLen(p(eb, "title"), e.Title, MaxEmbedTitle)
		f.maxLen(p(eb, "description"), e.Description, MaxEmbedDescription)
		total += utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		f.maxItems(p(eb, "fields"), len(e.Fields), MaxEmbedFields)
		for j, fl := range e.Fields {
			if fl == nil {
				continue
			}
			f.lenRange(p(eb, "fields", j, "name"), fl.Name, 1, MaxEmbedFieldName)
			f.lenRange(p(eb, "fields", j, "value"), fl.Value, 1, MaxEmbedFieldValue)
			total += utf8.RuneCountInString(fl.Name) + utf8.RuneCountInString(fl.Value)
		}
		if e.Footer != nil {
			f.maxLen(p(eb, "footer", "text"), e.Footer.Text, MaxEmbedFooter)
			total += utf8.RuneCountInString(e.Footer.Text)
		}
		if e.Author != nil {
			f.maxLen(p(eb, "author", "name"), e.Author.Name, MaxEmbedAuthorName)
			total += utf8.RuneCountInString(e.Author.Name)
		}
	}
	if total > MaxEmbedTotal {
		f.add(p(base, "embeds"), "MAX_EMBED_SIZE_EXCEEDED", fmt.Sprintf("Embed size exceeds maximum size of %d", MaxEmbedTotal))
	}
	validateComponents(f, p(base, "components"), m.components(), m.flags()&discordgo.MessageFlagsIsComponentsV2 != 0)
	if m.Choices != nil {
		f.add(p(base, "choices"), "INTERACTION_RESPONSE_INVALID", "Choices are only valid in autocomplete responses.")
	}
	if create {
		hasContent := m.Content != nil && strings.TrimSpace(*m.Content) != ""
		if !hasContent && len(embeds) == 0 && len(m.components()) == 0 && files == 0 && len(m.StickerIDs) == 0 && len(m.Poll) == 0 {
			f.add(nil, "EMPTY_MESSAGE", "Cannot send an empty message")
		}
	}
}

type rawComponent struct {
	Type        discordgo.ComponentType `json:"type"`
	CustomID    *string                 `json:"custom_id"`
	Label       string                  `json:"label"`
	Style       int                     `json:"style"`
	URL         string                  `json:"url"`
	SKUID       string                  `json:"sku_id"`
	Emoji       json.RawMessage         `json:"emoji"`
	Placeholder string                  `json:"placeholder"`
	MinValues   *int                    `json:"min_values"`
	MaxValues   *int                    `json:"max_values"`
	MinLength   *int                    `json:"min_length"`
	MaxLength   *int                    `json:"max_length"`
	Value       string                  `json:"value"`
	Options     []struct {
		Label       string `json:"label"`
		Value       string `json:"value"`
		Description string `json:"description"`
	} `json:"options"`
	Components  []json.RawMessage `json:"components"`
	Accessory   json.RawMessage   `json:"accessory"`
	Content     string            `json:"content"`
	Component   json.RawMessage   `json:"component"`
	Description string            `json:"description"`
}

func isSelect(t discordgo.ComponentType) bool {
	switch t {
	case discordgo.SelectMenuComponent, discordgo.UserSelectMenuComponent, discordgo.RoleSelectMenuComponent,
		discordgo.MentionableSelectMenuComponent, discordgo.ChannelSelectMenuComponent:
		return true
	}
	return false
}

type compCtx struct {
	f       *formErrors
	ids     map[string]bool
	count   int
	inModal bool
}

func validateComponents(f *formErrors, base []string, comps []json.RawMessage, v2 bool) {
	c := &compCtx{f: f, ids: map[string]bool{}}
	if !v2 {
		f.maxItems(base, len(comps), MaxActionRows)
	}
	for i, raw := range comps {
		var rc rawComponent
		if err := json.Unmarshal(raw, &rc); err != nil {
			f.add(p(base, i), "MODEL_TYPE_CONVERT", "Could not interpret component.")
			continue
		}
		c.count++
		if !v2 && rc.Type != discordgo.ActionsRowComponent {
			f.add(p(base, i, "type"), "UNION_TYPE_CHOICES", "Top-level components must be action rows (set IS_COMPONENTS_V2 for other layouts).")
			continue
		}
		c.component(p(base, i), rc, v2)
	}
	if v2 && c.count > MaxComponentsV2 {
		f.add(base, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", MaxComponentsV2))
	}
}

func (c *compCtx) customID(path []string, id *string) {
	if id == nil {
		c.f.add(p(path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
		return
	}
	c.f.lenRange(p(path, "custom_id"), *id, 1, MaxCustomID)
	if c.ids[*id] {
		c.f.add(p(path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
	}
	c.ids[*id] = true
}

func (c *compCtx) children(path []string, raws []json.RawMessage, v2 bool) []rawComponent {
	var out []rawComponent
	for i, raw := range raws {
		var rc rawComponent
		if err := json.Unmarshal(raw, &rc); err != nil {
			c.f.add(p(path, i), "MODEL_TYPE_CONVERT", "Could not interpret component.")
			continue
		}
		c.count++
		out = append(out, rc)
		c.component(p(path, i), rc, v2)
	}
	return out
}

func (c *compCtx) component(path []string, rc rawComponent, v2 bool) {
	switch {
	case rc.Type == discordgo.ActionsRowComponent:
		c.actionRow(path, rc, v2)
	case rc.Type == discordgo.ButtonComponent:
		c.button(path, rc)
	case isSelect(rc.Type):
		c.selectMenu(path, rc)
	case rc.Type == discordgo.TextInputComponent:
		c.textInput(path, rc)
	default:
		c.other(path, rc, v2)
	}
}

// actionRow checks a row: 1+ children, at most 5 buttons, a select or a
// text input (modals only) alone.
func (c *compCtx) actionRow(path []string, rc rawComponent, v2 bool) {
	f := c.f
	cp := p(path, "components")
	if len(rc.Components) == 0 {
		f.add(cp, "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
	}
	kids := c.children(cp, rc.Components, v2)
	buttons, selects, inputs := 0, 0, 0
	for _, k := range kids {
		switch {
		case k.Type == discordgo.ButtonComponent:
			buttons++
		case isSelect(k.Type):
			selects++
		case k.Type == discordgo.TextInputComponent:
			inputs++
		case k.Type == discordgo.ActionsRowComponent:
			f.add(cp, "UNION_TYPE_CHOICES", "Action rows cannot contain action rows.")
		}
	}
	if buttons > MaxButtonsPerRow {
		f.add(cp, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", MaxButtonsPerRow))
	}
	if selects > 0 && len(kids) > 1 {
		f.add(cp, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")
	}
	if inputs > 0 && (!c.inModal || len(kids) > 1) {
		f.add(cp, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Text inputs are only allowed alone in a modal action row.")
	}
}

// button checks a button by style: label or emoji, url only on links,
// custom_id only on the others.
func (c *compCtx) button(path []string, rc rawComponent) {
	f := c.f
	f.maxLen(p(path, "label"), rc.Label, MaxButtonLabel)
	if rc.Label == "" && len(rc.Emoji) == 0 && rc.Style != int(discordgo.PremiumButton) {
		f.add(path, "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "Button must have a label or an emoji.")
	}
	switch discordgo.ButtonStyle(rc.Style) {
	case discordgo.LinkButton:
		if rc.URL == "" {
			f.add(p(path, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A url is required for link buttons.")
		}
		f.maxLen(p(path, "url"), rc.URL, MaxButtonURL)
		if rc.CustomID != nil {
			f.add(p(path, "custom_id"), "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "A custom id cannot be specified for link buttons.")
		}
	case discordgo.PremiumButton:
		if rc.SKUID == "" {
			f.add(p(path, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required")
		}
	case discordgo.PrimaryButton, discordgo.SecondaryButton, discordgo.SuccessButton, discordgo.DangerButton:
		c.customID(path, rc.CustomID)
		if rc.URL != "" {
			f.add(p(path, "url"), "BUTTON_COMPONENT_URL_NOT_ALLOWED", "A url cannot be specified for non-link buttons.")
		}
	default:
		f.add(p(path, "style"), "BASE_TYPE_CHOICES", fmt.Sprintf("Value must be one of {1, 2, 3, 4, 5, 6}."))
	}
}

// selectMenu checks any select menu: options (string selects), min/max values.
func (c *compCtx) selectMenu(path []string, rc rawComponent) {
	f := c.f
	c.customID(path, rc.CustomID)
	f.maxLen(p(path, "placeholder"), rc.Placeholder, MaxSelectPlaceholder)
	if rc.Type == discordgo.SelectMenuComponent {
		if len(rc.Options) == 0 {
			f.add(p(path, "options"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
		}
		f.maxItems(p(path, "options"), len(rc.Options), MaxSelectOptions)
		for i, o := range rc.Options {
			f.lenRange(p(path, "options", i, "label"), o.Label, 1, MaxSelectOptionText)
			f.lenRange(p(path, "options", i, "value"), o.Value, 1, MaxSelectOptionText)
			f.maxLen(p(path, "options", i, "description"), o.Description, MaxSelectOptionText)
		}
	}
	if rc.MinValues != nil && (*rc.MinValues < 0 || *rc.MinValues > 25) {
		f.add(p(path, "min_values"), "NUMBER_TYPE_MAX", "int value should be between 0 and 25.")
	}
	if rc.MaxValues != nil && (*rc.MaxValues < 1 || *rc.MaxValues > 25) {
		f.add(p(path, "max_values"), "NUMBER_TYPE_MAX", "int value should be between 1 and 25.")
	}
	if rc.Type == discordgo.SelectMenuComponent && rc.MaxValues != nil && *rc.MaxValues > len(rc.Options) {
		f.add(p(path, "max_values"), "SELECT_COMPONENT_MAX_VALUES_TOO_LARGE", "max_values cannot exceed the number of options.")
	}
}

// textInput checks a text input (modals only).
func (c *compCtx) textInput(path []string, rc rawComponent) {
	f := c.f
	if !c.inModal {
		f.add(p(path, "type"), "UNION_TYPE_CHOICES", "Text inputs are only allowed in modals.")
		return
	}
	c.customID(path, rc.CustomID)
	f.lenRange(p(path, "label"), rc.Label, 1, MaxTextInputLabel)
	if rc.Style != int(discordgo.TextInputShort) && rc.Style != int(discordgo.TextInputParagraph) {
		f.add(p(path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
	}
	f.maxLen(p(path, "value"), rc.Value, MaxTextInputValue)
	f.maxLen(p(path, "placeholder"), rc.Placeholder, MaxTextInputHolder)
	if rc.MinLength != nil && (*rc.MinLength < 0 || *rc.MinLength > MaxTextInputValue) {
		f.add(p(path, "min_length"), "NUMBER_TYPE_MAX", "int value should be between 0 and 4000.")
	}
	if rc.MaxLength != nil && (*rc.MaxLength < 1 || *rc.MaxLength > MaxTextInputValue) {
		f.add(p(path, "max_length"), "NUMBER_TYPE_MAX", "int value should be between 1 and 4000.")
	}
}

// other checks any other component type: refused in modals and without
// IS_COMPONENTS_V2; with it, its children are checked.
func (c *compCtx) other(path []string, rc rawComponent, v2 bool) {
	f := c.f
	if c.inModal {
		f.add(p(path, "type"), "UNION_TYPE_CHOICES", "Modals built for discordgo v0.29.0 may only contain action rows with text inputs.")
		return
	}
	if !v2 {
		f.add(p(path, "type"), "UNION_TYPE_CHOICES", "Component type requires the IS_COMPONENTS_V2 flag.")
		return
	}
	// Components V2 layout: validate nested children generically.
	if len(rc.Components) > 0 {
		c.children(p(path, "components"), rc.Components, v2)
	}
	if len(rc.Accessory) > 0 {
		c.children(p(path, "accessory"), []json.RawMessage{rc.Accessory}, v2)
	}
}

// validateModal checks a modal callback (type 9): title, custom_id and
// 1–5 action rows each holding exactly one text input.
func validateModal(f *formErrors, base []string, m *messageBody) {
	f.lenRange(p(base, "title"), m.Title, 1, MaxModalTitle)
	f.lenRange(p(base, "custom_id"), m.CustomID, 1, MaxCustomID)
	comps := m.components()
	if len(comps) == 0 {
		f.add(p(base, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
	}
	f.maxItems(p(base, "components"), len(comps), MaxModalRows)
	c := &compCtx{f: f, ids: map[string]bool{}, inModal: true}
	for i, raw := range comps {
		var rc rawComponent
		if err := json.Unmarshal(raw, &rc); err != nil {
			f.add(p(base, "components", i), "MODEL_TYPE_CONVERT", "Could not interpret component.")
			continue
		}
		if rc.Type != discordgo.ActionsRowComponent {
			f.add(p(base, "components", i, "type"), "UNION_TYPE_CHOICES", "Modals may only contain action rows with one text input each (discordgo v0.29.0 cannot decode other types).")
			continue
		}
		if len(rc.Components) != 1 {
			f.add(p(base, "components", i, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 1 in length.")
		}
		for j, kraw := range rc.Components {
			var k rawComponent
			if err := json.Unmarshal(kraw, &k); err != nil || k.Type != discordgo.TextInputComponent {
				f.add(p(base, "components", i, "components", j, "type"), "UNION_TYPE_CHOICES", "Modal action rows may only contain text inputs.")
				continue
			}
			c.component(p(base, "components", i, "components", j), k, false)
		}
	}
	// discordgo always sends "content": "" (no omitempty); Discord ignores an empty one.
	if (m.Content != nil && *m.Content != "") || len(m.embeds()) > 0 {
		f.add(base, "INTERACTION_RESPONSE_INVALID", "Modal responses cannot carry content or embeds.")
	}
}

// validateChoices checks an autocomplete callback (type 8).
func validateChoices(f *formErrors, base []string, m *messageBody) {
	if m.Choices == nil {
		return
	}
	ch := *m.Choices
	f.maxItems(p(base, "choices"), len(ch), MaxAutocompleteChoices)
	for i, c := range ch {
		if c == nil {
			continue
		}
		f.lenRange(p(base, "choices", i, "name"), c.Name, 1, MaxChoiceName)
		if s, ok := c.Value.(string); ok {
			f.maxLen(p(base, "choices", i, "value"), s, MaxChoiceStringValue)
		}
	}
}

// validateCommands checks a bulk overwrite array.
func validateCommands(f *formErrors, cmds []*discordgo.ApplicationCommand) {
	counts := map[discordgo.ApplicationCommandType]int{}
	seen := map[string]bool{}
	for i, c := range cmds {
		if c == nil {
			f.add(p(nil, i), "BASE_TYPE_REQUIRED", "This field is required")
			continue
		}
		t := c.Type
		if t == 0 {
			t = discordgo.ChatApplicationCommand
		}
		counts[t]++
		key := fmt.Sprint(t, ":", c.Name)
		if seen[key] {
			f.add(p(nil, i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
		}
		seen[key] = true
		validateCommand(f, p(nil, i), c)
	}
	if counts[discordgo.ChatApplicationCommand] > MaxChatCommands {
		f.add(nil, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Maximum number of application commands reached (%d)", MaxChatCommands))
	}
	if counts[discordgo.UserApplicationCommand] > MaxContextCommands || counts[discordgo.MessageApplicationCommand] > MaxContextCommands {
		f.add(nil, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Maximum number of context menu commands reached (%d)", MaxContextCommands))
	}
}

func validateCommand(f *formErrors, base []string, c *discordgo.ApplicationCommand) {
	t := c.Type
	if t == 0 {
		t = discordgo.ChatApplicationCommand
	}
	total := utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(c.Description)
	switch t {
	case discordgo.ChatApplicationCommand:
		checkName(f, p(base, "name"), c.Name)
		f.lenRange(p(base, "description"), c.Description, 1, MaxCommandDescription)
		total += validateOptions(f, p(base, "options"), c.Options, 0)
	case discordgo.UserApplicationCommand, discordgo.MessageApplicationCommand:
		f.lenRange(p(base, "name"), c.Name, 1, MaxCommandName)
		if c.Description != "" {
			f.add(p(base, "description"), "APPLICATION_COMMAND_INVALID_DESCRIPTION", "Context menu commands cannot have a description")
		}
		if len(c.Options) > 0 {
			f.add(p(base, "options"), "APPLICATION_COMMAND_INVALID_OPTIONS", "Context menu commands cannot have options")
		}
	default:
		f.add(p(base, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
	}
	if c.NameLocalizations != nil {
		for loc, n := range *c.NameLocalizations {
			checkName(f, p(base, "name_localizations", string(loc)), n)
		}
	}
	if c.DescriptionLocalizations != nil {
		for loc, d := range *c.DescriptionLocalizations {
			f.lenRange(p(base, "description_localizations", string(loc)), d, 1, MaxCommandDescription)
		}
	}
	if total > MaxCommandTotal {
		f.add(base, "APPLICATION_COMMAND_TOO_LARGE", fmt.Sprintf("Command exceeds maximum size (%d)", MaxCommandTotal))
	}
}

func checkName(f *formErrors, path []string, name string) {
	if !commandNameRE.MatchString(name) {
		f.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		return
	}
	if strings.ToLower(name) != name {
		f.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name must be lowercase")
	}
}

// validateOptions validates an option list at depth (0 = command, 1 =
// subcommand group or subcommand, 2 = subcommand in a group) and returns
// the characters it contributes to the command size.
func validateOptions(f *formErrors, base []string, opts []*discordgo.ApplicationCommandOption, depth int) int {
	total := 0
	f.maxItems(base, len(opts), MaxCommandOptions)
	names := map[string]bool{}
	seenOptional := false
	hasSub, hasPlain := false, false
	for i, o := range opts {
		if o == nil {
			continue
		}
		ob := p(base, i)
		checkName(f, p(ob, "name"), o.Name)
		f.lenRange(p(ob, "description"), o.Description, 1, MaxCommandDescription)
		total += utf8.RuneCountInString(o.Name) + utf8.RuneCountInString(o.Description)
		if names[o.Name] {
			f.add(p(ob, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique")
		}
		names[o.Name] = true
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommandGroup:
			hasSub = true
			if depth != 0 {
				f.add(p(ob, "type"), "APPLICATION_COMMAND_OPTION_INVALID_NESTING", "Subcommand groups can only be top-level options")
			}
			for j, sub := range o.Options {
				if sub != nil && sub.Type != discordgo.ApplicationCommandOptionSubCommand {
					f.add(p(ob, "options", j, "type"), "APPLICATION_COMMAND_OPTION_INVALID_NESTING", "Subcommand groups may only contain subcommands")
				}
			}
			total += validateOptions(f, p(ob, "options"), o.Options, depth+1)
		case discordgo.ApplicationCommandOptionSubCommand:
			hasSub = true
			if depth > 1 {
				f.add(p(ob, "type"), "APPLICATION_COMMAND_OPTION_INVALID_NESTING", "Subcommands cannot be nested further")
			}
			for j, sub := range o.Options {
				if sub != nil && (sub.Type == discordgo.ApplicationCommandOptionSubCommand || sub.Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
					f.add(p(ob, "options", j, "type"), "APPLICATION_COMMAND_OPTION_INVALID_NESTING", "Subcommands cannot contain subcommands")
				}
			}
			total += validateOptions(f, p(ob, "options"), o.Options, 2)
		default:
			hasPlain = true
			if o.Type < discordgo.ApplicationCommandOptionString || o.Type > discordgo.ApplicationCommandOptionAttachment {
				f.add(p(ob, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1..11}.")
			}
			if o.Required && seenOptional {
				f.add(p(ob, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
			}
			if !o.Required {
				seenOptional = true
			}
			if len(o.Options) > 0 {
				f.add(p(ob, "options"), "APPLICATION_COMMAND_OPTION_INVALID_NESTING", "Only subcommands and groups may have options")
			}
			f.maxItems(p(ob, "choices"), len(o.Choices), MaxCommandChoices)
			if o.Autocomplete && len(o.Choices) > 0 {
				f.add(p(ob, "autocomplete"), "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID_WITH_CHOICES", "Autocomplete cannot be set with choices")
			}
			for j, ch := range o.Choices {
				if ch == nil {
					continue
				}
				f.lenRange(p(ob, "choices", j, "name"), ch.Name, 1, MaxChoiceName)
				total += utf8.RuneCountInString(ch.Name)
				if s, ok := ch.Value.(string); ok {
					f.maxLen(p(ob, "choices", j, "value"), s, MaxChoiceStringValue)
					total += utf8.RuneCountInString(s)
				}
			}
			if o.MinLength != nil && (*o.MinLength < 0 || *o.MinLength > 6000) {
				f.add(p(ob, "min_length"), "NUMBER_TYPE_MAX", "int value should be between 0 and 6000.")
			}
			if o.MaxLength != 0 && (o.MaxLength < 1 || o.MaxLength > 6000) {
				f.add(p(ob, "max_length"), "NUMBER_TYPE_MAX", "int value should be between 1 and 6000.")
			}
		}
	}
	if hasSub && hasPlain {
		f.add(base, "APPLICATION_COMMAND_OPTION_INVALID_NESTING", "Subcommands cannot be mixed with other option types")
	}
	return total
}
