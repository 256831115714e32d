package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Interaction describes a user interaction for Interact.
type Interaction struct {
	// Type: discordgo.InteractionApplicationCommand,
	// InteractionApplicationCommandAutocomplete, InteractionMessageComponent
	// or InteractionModalSubmit. Zero means: application command if
	// CommandName is set, else modal submit if ModalValues is non-nil, else
	// message component.
	Type      discordgo.InteractionType
	GuildID   string // "" for a DM interaction (then ChannelID may be "" too: the bot's DM with User is used)
	ChannelID string
	// User is the invoking user. In a guild, the member record (roles) is
	// taken from the guild unless Roles is set; an unknown user is added
	// to the guild as a member.
	User *discordgo.User
	// Roles overrides the member's roles for this interaction (nil = stored roles).
	Roles  []string
	Locale discordgo.Locale

	// Application commands and autocomplete.
	CommandName string
	CommandType discordgo.ApplicationCommandType // default ChatApplicationCommand
	Options     []*discordgo.ApplicationCommandInteractionDataOption
	TargetID    string
	Resolved    *discordgo.ApplicationCommandInteractionDataResolved
	// Attachments are the files of attachment options (AttachmentOpt names
	// one by ID), sent as resolved.attachments. Their URLs are the test's
	// (an httptest server, or one of the fake's CDN URLs).
	Attachments []*discordgo.MessageAttachment

	// Message components.
	CustomID      string
	ComponentType discordgo.ComponentType // default ButtonComponent
	Values        []string                // select menu values
	// MessageID is the message carrying the component (looked up in
	// ChannelID). If empty, Message is used, else a stub message.
	MessageID string
	Message   *discordgo.Message

	// Modal submits: text input custom_id -> value (sent sorted by
	// custom_id, one action row each). CustomID is the modal's custom_id.
	ModalValues map[string]string
}

// Option helpers for Interaction.Options.

// StringOpt returns a string option.
func StringOpt(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
}

// IntOpt returns an integer option.
func IntOpt(name string, v int64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: v}
}

// BoolOpt returns a boolean option.
func BoolOpt(name string, v bool) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
}

// UserOpt returns a user option (the value is the user ID).
func UserOpt(name, userID string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionUser, Value: userID}
}

// ChannelOpt returns a channel option (the value is the channel ID).
func ChannelOpt(name, channelID string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionChannel, Value: channelID}
}

// RoleOpt returns a role option (the value is the role ID).
func RoleOpt(name, roleID string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionRole, Value: roleID}
}

// AttachmentOpt returns an attachment option (the value is the
// attachment ID; put the attachment in Interaction.Attachments).
func AttachmentOpt(name, attachmentID string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionAttachment, Value: attachmentID}
}

// SubCommand returns a subcommand option wrapping opts.
func SubCommand(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
}

// SubCommandGroup returns a subcommand group option wrapping subcommands.
func SubCommandGroup(name string, subs ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommandGroup, Options: subs}
}

// Focused marks an option as the focused one (autocomplete) and returns it.
func Focused(o *discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	o.Focused = true
	return o
}

// ResponseKind says how a bot answered an interaction.
type ResponseKind int

// Response kinds.
const (
	KindCallback       ResponseKind = iota + 1 // POST /interactions/{id}/{token}/callback
	KindEditOriginal                           // PATCH /webhooks/{app}/{token}/messages/@original
	KindDeleteOriginal                         // DELETE .../messages/@original
	KindFollowup                               // POST /webhooks/{app}/{token}
	KindEditFollowup                           // PATCH .../messages/{id}
	KindDeleteFollowup                         // DELETE .../messages/{id}
)

func (k ResponseKind) String() string {
	switch k {
	case KindCallback:
		return "callback"
	case KindEditOriginal:
		return "edit-original"
	case KindDeleteOriginal:
		return "delete-original"
	case KindFollowup:
		return "followup"
	case KindEditFollowup:
		return "edit-followup"
	case KindDeleteFollowup:
		return "delete-followup"
	}
	return fmt.Sprintf("ResponseKind(%d)", int(k))
}

// File is an uploaded attachment.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// ResponseData is the message (or modal/choices) payload of a response.
// For edits only the fields present in the PATCH are set.
type ResponseData struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	Flags      discordgo.MessageFlags
	TTS        bool
	// Autocomplete (callback type 8).
	Choices []*discordgo.ApplicationCommandOptionChoice
	// Modal (callback type 9).
	CustomID string
	Title    string
	Files    []File
	// Raw is the JSON payload as sent (the "data" object for callbacks).
	Raw json.RawMessage
}

// Response is one accepted answer of a bot to an interaction.
type Response struct {
	Kind ResponseKind
	// Type is the callback type for KindCallback (4 message, 5 deferred
	// message, 6 deferred update, 7 update, 8 autocomplete, 9 modal).
	Type      discordgo.InteractionResponseType
	Data      ResponseData
	MessageID string // message created, edited or deleted ("" for type 8/9/1)
	At        time.Time
}

// Ephemeral reports whether the response carries the ephemeral flag.
func (r Response) Ephemeral() bool { return r.Data.Flags&discordgo.MessageFlagsEphemeral != 0 }

type interactionRec struct {
	id, token string
	bot       *botState
	typ       discordgo.InteractionType
	payload   *discordgo.Interaction // as dispatched
	raw       []byte                 // wire JSON as dispatched
	guildID   string
	channelID string
	created   time.Time

	acked      bool
	ackType    discordgo.InteractionResponseType
	originalID string // message ID of @original
	ephemeral  bool   // @original is ephemeral (not stored in the channel)
	original   *discordgo.Message
	followups  map[string]*discordgo.Message
	responses  []Response
	notify     chan struct{}
}

func (r *interactionRec) addResponseLocked(resp Response) {
	r.responses = append(r.responses, resp)
	close(r.notify)
	r.notify = make(chan struct{})
}

// InteractionHandle tracks a dispatched interaction and the bot's answers.
type InteractionHandle struct {
	s   *Server
	rec *interactionRec
	// ID and Token of the interaction as dispatched.
	ID, Token string
}

// Interaction returns the interaction as it was dispatched.
func (h *InteractionHandle) Interaction() *discordgo.Interaction {
	var it discordgo.Interaction
	if err := json.Unmarshal(h.rec.raw, &it); err != nil {
		panic(err)
	}
	return &it
}

// Responses returns a snapshot of all accepted responses so far.
func (h *InteractionHandle) Responses() []Response {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return slices.Clone(h.rec.responses)
}

// WaitFor waits for the first response (in order) satisfying pred.
func (h *InteractionHandle) WaitFor(ctx context.Context, pred func(Response) bool) (Response, error) {
	for {
		h.s.mu.Lock()
		ch := h.rec.notify
		for _, r := range h.rec.responses {
			if pred(r) {
				h.s.mu.Unlock()
				return r, nil
			}
		}
		h.s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Response{}, fmt.Errorf("discordtest: waiting for response to interaction %s: %w", h.ID, ctx.Err())
		case <-ch:
		}
	}
}

// WaitResponse waits for the initial callback (the acknowledgement).
func (h *InteractionHandle) WaitResponse(ctx context.Context) (Response, error) {
	return h.WaitFor(ctx, func(r Response) bool { return r.Kind == KindCallback })
}

// WaitFinal waits for the first response showing the user something: the
// callback unless it is a deferral (types 5/6), otherwise the first edit
// of @original or followup after it.
func (h *InteractionHandle) WaitFinal(ctx context.Context) (Response, error) {
	deferred := false
	return h.WaitFor(ctx, func(r Response) bool {
		if r.Kind == KindCallback {
			if r.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource || r.Type == discordgo.InteractionResponseDeferredMessageUpdate {
				deferred = true
				return false
			}
			return true
		}
		return deferred && (r.Kind == KindEditOriginal || r.Kind == KindFollowup)
	})
}

// WaitN waits until at least n responses were accepted and returns them.
func (h *InteractionHandle) WaitN(ctx context.Context, n int) ([]Response, error) {
	for {
		h.s.mu.Lock()
		ch := h.rec.notify
		if len(h.rec.responses) >= n {
			out := slices.Clone(h.rec.responses)
			h.s.mu.Unlock()
			return out, nil
		}
		h.s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("discordtest: waiting for %d responses to interaction %s: %w", n, h.ID, ctx.Err())
		case <-ch:
		}
	}
}

// Original returns the current @original message (after edits), or nil if
// none exists (not acknowledged with a message, or deleted).
func (h *InteractionHandle) Original() *discordgo.Message {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if h.rec.original == nil {
		return nil
	}
	return cloneMessage(h.rec.original)
}

// Interact dispatches INTERACTION_CREATE to bot and returns a handle to
// observe the answers. The bot must have a live session. The interaction
// ID is a snowflake whose timestamp is the dispatch time (per Clock); the
// ack deadline counts from then.
func (s *Server) Interact(ctx context.Context, bot Bot, in Interaction) (*InteractionHandle, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	b, err := s.botLocked(bot)
	if err != nil {
		return nil, err
	}
	if b.sessionID == "" || b.conn == nil {
		return nil, ErrNotConnected
	}
	if in.Type == 0 {
		switch {
		case in.CommandName != "":
			in.Type = discordgo.InteractionApplicationCommand
		case in.ModalValues != nil:
			in.Type = discordgo.InteractionModalSubmit
		default:
			in.Type = discordgo.InteractionMessageComponent
		}
	}
	user, err := s.interactionUserLocked(in)
	if err != nil {
		return nil, err
	}

	it := &discordgo.Interaction{
		ID:      s.newIDLocked(),
		AppID:   b.bot.AppID,
		Type:    in.Type,
		Locale:  in.Locale,
		Version: 1,
	}
	if it.Locale == "" {
		it.Locale = discordgo.EnglishUS
	}
	it.Token = fmt.Sprintf("itoken-%s-%s", b.bot.UserID, it.ID)

	if err := s.placeInteractionLocked(b, in, it, user); err != nil {
		return nil, err
	}

	var rawData any
	switch in.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		if err := s.commandDataLocked(b, in, it, user); err != nil {
			return nil, err
		}
	case discordgo.InteractionMessageComponent:
		msg, err := s.componentMessageLocked(in, it.ChannelID)
		if err != nil {
			return nil, err
		}
		it.Message = msg
		ct := in.ComponentType
		if ct == 0 {
			ct = discordgo.ButtonComponent
		}
		it.Data = discordgo.MessageComponentInteractionData{CustomID: in.CustomID, ComponentType: ct, Values: in.Values}
	case discordgo.InteractionModalSubmit:
		rawData = modalData(in)
		if in.MessageID != "" || in.Message != nil {
			msg, err := s.componentMessageLocked(in, it.ChannelID)
			if err != nil {
				return nil, err
			}
			it.Message = msg
		}
	default:
		return nil, fmt.Errorf("discordtest: unsupported interaction type %d", in.Type)
	}

	raw, err := encodeInteraction(it, rawData)
	if err != nil {
		return nil, err
	}

	rec := &interactionRec{raw: raw,
		id: it.ID, token: it.Token, bot: b, typ: in.Type, payload: it,
		guildID: it.GuildID, channelID: it.ChannelID, created: s.clock.Now(),
		followups: map[string]*discordgo.Message{}, notify: make(chan struct{}),
	}
	if it.Message != nil && it.Message.ID != "" {
		// For component interactions @original is the message carrying the component.
		rec.originalID = it.Message.ID
	}
	s.interByID[it.ID] = rec
	s.interByTok[it.Token] = rec
	s.dispatchLocked(b, "INTERACTION_CREATE", json.RawMessage(raw))
	return &InteractionHandle{s: s, rec: rec, ID: it.ID, Token: it.Token}, nil
}

// interactionUserLocked is the interacting user: in.User, completed from
// the users the fake knows, and remembered.
func (s *Server) interactionUserLocked(in Interaction) (*discordgo.User, error) {
	if in.User == nil || in.User.ID == "" {
		return nil, errors.New("discordtest: Interaction.User with an ID is required")
	}
	user := cloneJSON(in.User)
	if known, ok := s.users[user.ID]; ok && user.Username == "" {
		user = cloneJSON(known)
	}
	if user.Username == "" {
		user.Username = "user-" + user.ID
	}
	if _, ok := s.users[user.ID]; !ok {
		s.users[user.ID] = cloneJSON(user)
	}
	return user, nil
}

// placeInteractionLocked fills where it happens: a guild channel (member,
// permissions) or a DM with the bot.
func (s *Server) placeInteractionLocked(b *botState, in Interaction, it *discordgo.Interaction, user *discordgo.User) error {
	if in.GuildID != "" {
		gs, ok := s.guilds[in.GuildID]
		if !ok {
			return fmt.Errorf("discordtest: unknown guild %s", in.GuildID)
		}
		if !s.botInGuildLocked(b, in.GuildID) {
			return fmt.Errorf("discordtest: bot %s is not in guild %s", b.bot.Username, in.GuildID)
		}
		cs, ok := s.channels[in.ChannelID]
		if !ok || cs.ch.GuildID != in.GuildID {
			return fmt.Errorf("discordtest: channel %q is not in guild %s", in.ChannelID, in.GuildID)
		}
		mem, ok := gs.members[user.ID]
		if !ok {
			mem = s.addMemberLocked(gs, &discordgo.Member{User: user}, true)
		}
		mem = cloneJSON(mem)
		if in.Roles != nil {
			mem.Roles = slices.Clone(in.Roles)
		}
		mem.Permissions = s.channelPermissionsLocked(cs, user.ID, mem.Roles)
		it.Member = mem
		it.GuildID = in.GuildID
		it.ChannelID = in.ChannelID
		it.AppPermissions = s.channelPermissionsLocked(cs, b.bot.UserID, nil)
		gl := discordgo.EnglishUS
		it.GuildLocale = &gl
		it.Context = discordgo.InteractionContextGuild
	} else {
		it.User = user
		it.Context = discordgo.InteractionContextBotDM
		it.AppPermissions = dmPermissions
		chID := in.ChannelID
		if chID == "" {
			chID = s.dmChannelLocked(b, user).ch.ID
		}
		if _, ok := s.channels[chID]; !ok {
			return fmt.Errorf("discordtest: unknown channel %s", chID)
		}
		it.ChannelID = chID
	}
	return nil
}

// commandDataLocked fills it.Data for a command or autocomplete
// interaction, refusing what Discord could not deliver (an unregistered
// command, options that do not match it, a context or permission that hides it).
func (s *Server) commandDataLocked(b *botState, in Interaction, it *discordgo.Interaction, user *discordgo.User) error {
	ct := in.CommandType
	if ct == 0 {
		ct = discordgo.ChatApplicationCommand
	}
	cmd := s.findCommandLocked(b, in.GuildID, in.CommandName, ct)
	cmdID := ""
	autocomplete := in.Type == discordgo.InteractionApplicationCommandAutocomplete
	if autocomplete && countFocused(in.Options) != 1 {
		return errors.New("discordtest: an autocomplete interaction needs exactly one Focused option")
	}
	if cmd != nil {
		cmdID = cmd.ID
		if err := checkOptions(cmd.Options, in.Options, !autocomplete, ""); err != nil {
			return fmt.Errorf("discordtest: /%s: %w", in.CommandName, err)
		}
		if cmd.Contexts != nil && !slices.Contains(*cmd.Contexts, it.Context) {
			return fmt.Errorf("discordtest: /%s is not available in interaction context %d (contexts %v)", in.CommandName, it.Context, *cmd.Contexts)
		}
		if in.GuildID == "" && cmd.DMPermission != nil && !*cmd.DMPermission {
			return fmt.Errorf("discordtest: /%s has dm_permission=false", in.CommandName)
		}
		if s.opts.EnforceCommandPermissions && in.GuildID != "" && cmd.DefaultMemberPermissions != nil {
			gs := s.guilds[in.GuildID]
			have := s.memberPermissionsLocked(gs, user.ID, it.Member.Roles)
			if need := *cmd.DefaultMemberPermissions; have&need != need {
				return fmt.Errorf("discordtest: user %s lacks default_member_permissions %d of /%s; Discord would not show the command", user.ID, need, in.CommandName)
			}
		}
	} else if !s.opts.AllowUnregisteredCommands {
		return fmt.Errorf("discordtest: bot %s has no registered command %q (type %d) for guild %q; Discord could not deliver this interaction (set Options.AllowUnregisteredCommands to skip this check)", b.bot.Username, in.CommandName, ct, in.GuildID)
	} else {
		cmdID = s.newIDLocked()
	}
	resolved := in.Resolved
	if resolved == nil {
		resolved = &discordgo.ApplicationCommandInteractionDataResolved{}
		s.resolveOptionsLocked(in.GuildID, in.Options, resolved)
		if in.TargetID != "" {
			switch ct {
			case discordgo.UserApplicationCommand:
				s.resolveOptionsLocked(in.GuildID, []*discordgo.ApplicationCommandInteractionDataOption{UserOpt("target", in.TargetID)}, resolved)
			case discordgo.MessageApplicationCommand:
				if cs, ok := s.channels[it.ChannelID]; ok {
					if m := findMessage(cs, in.TargetID); m != nil {
						resolved.Messages = map[string]*discordgo.Message{m.ID: cloneMessage(m)}
					}
				}
			}
		}
	}
	if len(in.Attachments) > 0 {
		if in.Resolved != nil {
			resolved = cloneJSON(in.Resolved)
		}
		resolved.Attachments = map[string]*discordgo.MessageAttachment{}
		for _, a := range in.Attachments {
			if a != nil {
				resolved.Attachments[a.ID] = cloneJSON(a)
			}
		}
	}
	it.Data = discordgo.ApplicationCommandInteractionData{
		ID:          cmdID,
		Name:        in.CommandName,
		CommandType: ct,
		Options:     in.Options,
		TargetID:    in.TargetID,
		Resolved:    resolved,
	}
	return nil
}

// encodeInteraction is it's wire form with data replaced by rawData (when
// set), decoded back into it so the bot and the fake see the same value.
func encodeInteraction(it *discordgo.Interaction, rawData any) (json.RawMessage, error) {
	if rawData == nil {
		rawData = it.Data
	}
	it.Data = nil
	var wire map[string]any
	if err := json.Unmarshal(mustJSON(it), &wire); err != nil {
		return nil, err
	}
	wire["data"] = rawData
	raw := mustJSON(wire)
	if err := json.Unmarshal(raw, it); err != nil {
		return nil, fmt.Errorf("discordtest: interaction does not decode: %w", err)
	}
	return raw, nil
}

// modalData is the wire form of a modal submit's data: one text input per
// ModalValues key, in key order.
func modalData(in Interaction) map[string]any {
	keys := make([]string, 0, len(in.ModalValues))
	for k := range in.ModalValues {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := []any{}
	for _, k := range keys {
		rows = append(rows, map[string]any{"type": discordgo.ActionsRowComponent, "components": []any{
			map[string]any{"type": discordgo.TextInputComponent, "custom_id": k, "value": in.ModalValues[k]},
		}})
	}
	// ModalSubmitInteractionData does not marshal its components
	// (json:"-"), so the wire form is built by hand.
	return map[string]any{"custom_id": in.CustomID, "components": rows}
}

func (s *Server) componentMessageLocked(in Interaction, channelID string) (*discordgo.Message, error) {
	if in.MessageID != "" {
		cs, ok := s.channels[channelID]
		if !ok {
			return nil, fmt.Errorf("discordtest: unknown channel %s", channelID)
		}
		for _, m := range cs.msgs {
			if m.ID == in.MessageID {
				return cloneMessage(m), nil
			}
		}
		// Ephemeral messages live only in interaction records.
		for _, rec := range s.interByID {
			if rec.original != nil && rec.original.ID == in.MessageID {
				return cloneMessage(rec.original), nil
			}
			if m, ok := rec.followups[in.MessageID]; ok {
				return cloneMessage(m), nil
			}
		}
		return nil, fmt.Errorf("discordtest: unknown message %s in channel %s", in.MessageID, channelID)
	}
	if in.Message != nil {
		return cloneMessage(in.Message), nil
	}
	return &discordgo.Message{ID: s.newIDLocked(), ChannelID: channelID, Timestamp: s.clock.Now().UTC()}, nil
}

func (s *Server) findCommandLocked(b *botState, guildID, name string, t discordgo.ApplicationCommandType) *discordgo.ApplicationCommand {
	match := func(list []*discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
		for _, c := range list {
			ct := c.Type
			if ct == 0 {
				ct = discordgo.ChatApplicationCommand
			}
			if c.Name == name && ct == t {
				return c
			}
		}
		return nil
	}
	if guildID != "" {
		if c := match(b.guildCmds[guildID]); c != nil {
			return c
		}
	}
	return match(b.globalCmds)
}

// Commands returns bot's registered commands: global ones for guildID ""
// or the guild's commands otherwise.
func (s *Server) Commands(bot Bot, guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return nil
	}
	list := b.globalCmds
	if guildID != "" {
		list = b.guildCmds[guildID]
	}
	return cloneJSON(list)
}
