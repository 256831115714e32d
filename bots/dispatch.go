package bots

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/embed"
)

// StaffSource returns the staff role ids of a guild (empty: none set up,
// only Administrators count as staff). App wires the guild settings store.
type StaffSource interface {
	StaffRoleIDs(ctx context.Context, guildID string) ([]string, error)
}

// dispatcher serves the interactions of one bot session.
type dispatcher struct {
	kind       BotKind
	router     *Router
	staff      StaffSource
	log        *slog.Logger
	deferAfter time.Duration
	timeout    time.Duration
	// redact scrubs secrets from error replies (nil: none).
	redact func(string) string
	// start registers an in-flight interaction with the owning runner; it
	// returns false once the runner is shutting down.
	start func() (ctx context.Context, done func(), ok bool)
}

// route is the resolved target of an interaction.
type route struct {
	run        HandlerFunc
	access     Access
	ephemeral  bool
	update     bool // deferral type 6 instead of 5
	autocomple AutocompleteFunc
	focused    *discordgo.ApplicationCommandInteractionDataOption
}

// handle is the INTERACTION_CREATE handler. It never panics.
func (d *dispatcher) handle(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	if ic == nil || ic.Interaction == nil {
		return
	}
	ctx, done, ok := d.start()
	if !ok {
		return
	}
	defer done()
	i := ic.Interaction
	log := d.log.With("bot", d.kind, "interaction", i.ID, "guild", i.GuildID)
	defer func() {
		if v := recover(); v != nil { // a bug in the router itself
			log.Error("interaction dispatch panicked", "ref", newRef(), "panic", v, "stack", string(debug.Stack()))
		}
	}()
	c, rt, err := d.resolve(i, log)
	if err != nil {
		log.Warn("unroutable interaction", "err", err)
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			d.respondChoices(ctx, s, i, log, nil)
			return
		}
		d.respond(ctx, s, i, log, true, &Response{Embeds: []*discordgo.MessageEmbed{d.mapError(log, err)}})
		return
	}
	c.Session = s
	hctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()

	if rt.access != Everyone { // Staff, or unset: fail closed
		var err error
		if rt.access == Staff {
			staff, serr := d.isStaff(hctx, i)
			if serr != nil {
				err = fmt.Errorf("staff check: %w", serr)
			} else if !staff {
				err = &UserError{Msg: "This needs a staff role (or the Administrator permission).", Err: ErrForbidden}
			}
		} else {
			log.Error("route without access level refused", "access", rt.access)
			err = &UserError{Msg: "This is not available.", Err: ErrForbidden}
		}
		if err != nil {
			if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
				d.respondChoices(ctx, s, i, log, nil)
				return
			}
			d.respond(ctx, s, i, log, true, &Response{Embeds: []*discordgo.MessageEmbed{d.mapError(log, err)}})
			return
		}
		c.Staff = true
	}

	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		d.autocomplete(hctx, s, c, rt, log)
		return
	}
	d.run(ctx, hctx, s, c, rt, log)
}

// mapError is the package mapError with the error text scrubbed of
// secrets (a UserError may quote an upstream message).
func (d *dispatcher) mapError(log *slog.Logger, err error) *discordgo.MessageEmbed {
	e := mapError(log, err)
	if d.redact != nil && e != nil {
		e.Title, e.Description = d.redact(e.Title), d.redact(e.Description)
	}
	return e
}

// isStaff applies the RBAC rule: Administrator, or a configured staff role.
func (d *dispatcher) isStaff(ctx context.Context, i *discordgo.Interaction) (bool, error) {
	return IsStaff(ctx, d.staff, i.GuildID, i.Member)
}

// IsStaff reports whether member counts as staff in guildID: it has the
// Administrator permission, or one of the guild's staff roles. A nil member
// (DM) or a nil source (no roles known) only passes through Administrator.
func IsStaff(ctx context.Context, src StaffSource, guildID string, m *discordgo.Member) (bool, error) {
	if m == nil || guildID == "" {
		return false, nil
	}
	if m.Permissions&discordgo.PermissionAdministrator != 0 {
		return true, nil
	}
	if src == nil {
		return false, nil
	}
	roles, err := src.StaffRoleIDs(ctx, guildID)
	if err != nil {
		return false, err
	}
	for _, want := range roles {
		for _, have := range m.Roles {
			if want != "" && want == have {
				return true, nil
			}
		}
	}
	return false, nil
}

// resolve parses the payload and finds its route.
func (d *dispatcher) resolve(i *discordgo.Interaction, log *slog.Logger) (*Ctx, *route, error) {
	c := &Ctx{Interaction: i, Bot: d.kind, Log: log, GuildID: i.GuildID, ChannelID: i.ChannelID, router: d.router, Member: i.Member}
	switch {
	case i.Member != nil && i.Member.User != nil:
		c.User = i.Member.User
	case i.User != nil:
		c.User = i.User
	default:
		c.User = &discordgo.User{}
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			return nil, nil, errors.New("dispatch: command without data")
		}
		cmd := d.router.commands[data.Name]
		if cmd == nil {
			return nil, nil, &UserError{Msg: "Unknown command (the bot may have been updated; try again in a minute)."}
		}
		c.Command = data.Name
		opts := data.Options
		if len(opts) > 0 && opts[0] != nil && opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup {
			c.Sub = opts[0].Name
			opts = opts[0].Options
		}
		if len(opts) > 0 && opts[0] != nil && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
			if c.Sub != "" {
				c.Sub += " "
			}
			c.Sub += opts[0].Name
			opts = opts[0].Options
		}
		c.Options = make(map[string]*discordgo.ApplicationCommandInteractionDataOption, len(opts))
		rt := &route{access: cmd.Access, ephemeral: cmd.Ephemeral, autocomple: cmd.Autocomplete}
		for _, o := range opts {
			if o == nil {
				continue
			}
			c.Options[o.Name] = o
			if o.Focused {
				rt.focused = o
			}
		}
		if c.Sub != "" {
			rt.run = cmd.Subcommands[c.Sub]
			rt.access, rt.ephemeral = cmd.subAccess(c.Sub), cmd.subEphemeral(c.Sub)
		} else {
			rt.run = cmd.Run
		}
		if rt.run == nil && i.Type == discordgo.InteractionApplicationCommand {
			return nil, nil, &UserError{Msg: "Unknown subcommand."}
		}
		return c, rt, nil
	case discordgo.InteractionMessageComponent:
		data, ok := i.Data.(discordgo.MessageComponentInteractionData)
		if !ok {
			return nil, nil, errors.New("dispatch: component without data")
		}
		c.CustomID, c.Values = data.CustomID, data.Values
		prefix, rest := splitCustomID(data.CustomID)
		c.Args = rest
		if prefix == PagerPrefix {
			ref, err := DecodePageRef(data.CustomID)
			if err != nil {
				return nil, nil, &UserError{Msg: "This button is no longer valid.", Err: err}
			}
			p, ok := d.router.pagers[ref.Kind]
			if !ok {
				return nil, nil, &UserError{Msg: "This button is no longer valid."}
			}
			return c, &route{access: p.access, update: true, run: func(ctx context.Context, c *Ctx) (*Response, error) {
				return renderPage(ctx, c, p.fn, ref)
			}}, nil
		}
		r := d.router.components[prefix]
		if r == nil {
			return nil, nil, &UserError{Msg: "This button is no longer valid."}
		}
		return c, &route{run: r.Run, access: r.Access, ephemeral: r.Ephemeral, update: r.UpdateMessage}, nil
	case discordgo.InteractionModalSubmit:
		data, ok := i.Data.(discordgo.ModalSubmitInteractionData)
		if !ok {
			return nil, nil, errors.New("dispatch: modal without data")
		}
		c.CustomID = data.CustomID
		prefix, rest := splitCustomID(data.CustomID)
		c.Args = rest
		c.Fields = ModalValues(data)
		r := d.router.modals[prefix]
		if r == nil {
			return nil, nil, &UserError{Msg: "This form is no longer valid."}
		}
		return c, &route{run: r.Run, access: r.Access, ephemeral: r.Ephemeral, update: r.UpdateMessage}, nil
	}
	return nil, nil, fmt.Errorf("dispatch: unsupported interaction type %d", i.Type)
}

// result of a handler run.
type result struct {
	resp *Response
	err  error
}

// safeRun calls h, turning a panic into a *PanicError.
func safeRun(ctx context.Context, c *Ctx, h HandlerFunc) (res result) {
	defer func() {
		if v := recover(); v != nil {
			res = result{err: &PanicError{Value: v, Stack: string(debug.Stack())}}
		}
	}()
	resp, err := h(ctx, c)
	if err == nil && resp == nil {
		err = errors.New("handler returned no response")
	}
	return result{resp, err}
}

// TokenLifetime is how long Discord accepts answers to an interaction
// (edits and follow-ups through its token) after it was created.
const TokenLifetime = 15 * time.Minute

// tookTooLong is the answer of a handler that ran past the handler timeout.
func tookTooLong() *Response {
	return &Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{
		embed.Error("This took too long", "It was stopped before it finished. Try again in a moment.")}}
}

// answerCtx is the context the final answer is sent with: the runner's
// context (shutdown still cancels it), not the handler's, which may have
// just expired; bounded by the interaction token's life.
func answerCtx(base context.Context, i *discordgo.Interaction) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(TokenLifetime)
	if created, err := discordgo.SnowflakeTimestamp(i.ID); err == nil && created.Add(TokenLifetime).Before(deadline) {
		deadline = created.Add(TokenLifetime)
	}
	if min := time.Now().Add(5 * time.Second); deadline.Before(min) {
		deadline = min // expired token: let Discord say so instead of failing locally
	}
	return context.WithDeadline(base, deadline)
}

// run executes the handler, answering directly when it finishes within
// deferAfter and deferring otherwise. base is the runner's context; ctx
// (derived from it) carries the handler timeout. A handler still running
// at the timeout is answered "took too long" at once; run still waits for
// it to return, so its goroutine stays owned.
func (d *dispatcher) run(base, ctx context.Context, s *discordgo.Session, c *Ctx, rt *route, log *slog.Logger) {
	i := c.Interaction
	ch := make(chan result, 1)
	go func() { ch <- safeRun(ctx, c, rt.run) }() // owned: run waits for ch below
	timer := time.NewTimer(d.deferAfter)
	defer timer.Stop()

	// finish answers with a context of its own: the handler's may be over.
	finish := func(res result, deferred, timedOut bool) {
		if timedOut {
			log.Warn("handler timed out", "timeout", d.timeout, "err", res.err)
			res = result{resp: tookTooLong()}
		}
		actx, cancel := answerCtx(base, i)
		defer cancel()
		d.answer(actx, s, i, log, rt, res, deferred)
	}
	// expired: the handler's context ran out and err says so.
	expired := func(err error) bool {
		return errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded)
	}
	var res result
	select {
	case res = <-ch:
		finish(res, false, expired(res.err))
		return
	case <-ctx.Done():
		finish(result{err: ctx.Err()}, false, expired(ctx.Err()))
		<-ch
		return
	case <-timer.C:
	}
	// Slow handler: acknowledge now, deliver later.
	deferType := discordgo.InteractionResponseDeferredChannelMessageWithSource
	if rt.update && i.Type != discordgo.InteractionApplicationCommand {
		deferType = discordgo.InteractionResponseDeferredMessageUpdate
	}
	ack := &discordgo.InteractionResponse{Type: deferType}
	if deferType == discordgo.InteractionResponseDeferredChannelMessageWithSource && rt.ephemeral {
		ack.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
	}
	actx, cancel := answerCtx(base, i)
	if err := s.InteractionRespond(i, ack, discordgo.WithContext(actx)); err != nil {
		log.Warn("defer failed", "err", err)
	}
	cancel()
	select {
	case res = <-ch:
		finish(res, true, expired(res.err))
	case <-ctx.Done():
		finish(result{err: ctx.Err()}, true, expired(ctx.Err()))
		<-ch
	}
}

// answer sends a handler result (or its error) as the interaction response.
func (d *dispatcher) answer(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, log *slog.Logger, rt *route, res result, deferred bool) {
	resp := res.resp
	if res.err != nil {
		var pe *PanicError
		if errors.As(res.err, &pe) {
			ref := newRef()
			log.Error("handler panicked", "ref", ref, "panic", fmt.Sprint(pe.Value), "stack", pe.Stack)
			resp = &Response{Embeds: []*discordgo.MessageEmbed{internalErrorEmbed(ref)}, Ephemeral: true}
		} else {
			resp = &Response{Embeds: []*discordgo.MessageEmbed{d.mapError(log, res.err)}, Ephemeral: true}
		}
	}
	if resp.Modal != nil {
		if deferred {
			ref := newRef()
			log.Error("modal response after deferral", "ref", ref)
			resp = &Response{Embeds: []*discordgo.MessageEmbed{internalErrorEmbed(ref)}, Ephemeral: true}
		} else {
			err := s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: resp.Modal}, discordgo.WithContext(ctx))
			if err != nil {
				log.Warn("modal response failed", "err", err)
			}
			return
		}
	}
	update := resp.Update && i.Type != discordgo.InteractionApplicationCommand
	if !deferred {
		d.respond(ctx, s, i, log, rt.ephemeral || resp.Ephemeral, resp)
		return
	}
	// Deferred with type 5 (new message): edit the placeholder. Deferred with
	// type 6 (update): edit the component's message if the response is an
	// update, otherwise send a follow-up.
	deferredUpdate := rt.update && i.Type != discordgo.InteractionApplicationCommand
	if !deferredUpdate || update {
		d.editOriginal(ctx, s, i, log, resp, deferredUpdate)
		return
	}
	d.followups(ctx, s, i, log, rt.ephemeral || resp.Ephemeral, resp, nil)
}

var noMentions = &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}

// respond sends the initial response (type 4, or 7 for updates) and extra
// embed groups as follow-ups.
func (d *dispatcher) respond(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, log *slog.Logger, ephemeral bool, resp *Response) {
	groups := embed.Messages(resp.Embeds)
	typ := discordgo.InteractionResponseChannelMessageWithSource
	if resp.Update && i.Type == discordgo.InteractionMessageComponent {
		typ = discordgo.InteractionResponseUpdateMessage
	}
	data := &discordgo.InteractionResponseData{
		Content:         embed.Content(resp.Content),
		Components:      resp.Components,
		Files:           resp.Files,
		AllowedMentions: noMentions,
	}
	if len(groups) > 0 {
		data.Embeds = groups[0]
	} else if typ == discordgo.InteractionResponseUpdateMessage && resp.Embeds != nil {
		data.Embeds = []*discordgo.MessageEmbed{}
	}
	if ephemeral && typ == discordgo.InteractionResponseChannelMessageWithSource {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	if err := s.InteractionRespond(i, &discordgo.InteractionResponse{Type: typ, Data: data}, discordgo.WithContext(ctx)); err != nil {
		log.Warn("interaction response failed", "err", err)
		return
	}
	if len(groups) > 1 {
		d.followups(ctx, s, i, log, ephemeral, &Response{}, groups[1:])
	}
}

// editOriginal replaces the deferred placeholder (or the component's
// message) with resp; extra embed groups become follow-ups.
func (d *dispatcher) editOriginal(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, log *slog.Logger, resp *Response, keepComponents bool) {
	groups := embed.Messages(resp.Embeds)
	content := embed.Content(resp.Content)
	edit := &discordgo.WebhookEdit{Content: &content, Files: resp.Files, AllowedMentions: noMentions}
	first := []*discordgo.MessageEmbed{}
	if len(groups) > 0 {
		first = groups[0]
	}
	edit.Embeds = &first
	if resp.Components != nil || !keepComponents {
		comps := resp.Components
		if comps == nil {
			comps = []discordgo.MessageComponent{}
		}
		edit.Components = &comps
	}
	if _, err := s.InteractionResponseEdit(i, edit, discordgo.WithContext(ctx)); err != nil {
		log.Warn("edit original response failed", "err", err)
		return
	}
	if len(groups) > 1 {
		d.followups(ctx, s, i, log, resp.Ephemeral, &Response{}, groups[1:])
	}
}

// followups sends resp (and/or extra embed groups) as follow-up messages.
func (d *dispatcher) followups(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, log *slog.Logger, ephemeral bool, resp *Response, groups [][]*discordgo.MessageEmbed) {
	if groups == nil {
		groups = embed.Messages(resp.Embeds)
		if len(groups) == 0 {
			groups = [][]*discordgo.MessageEmbed{nil}
		}
	}
	for n, g := range groups {
		p := &discordgo.WebhookParams{Embeds: g, AllowedMentions: noMentions}
		if n == 0 {
			p.Content = embed.Content(resp.Content)
			p.Components = resp.Components
			p.Files = resp.Files
		}
		if ephemeral {
			p.Flags = discordgo.MessageFlagsEphemeral
		}
		if p.Content == "" && len(p.Embeds) == 0 && len(p.Files) == 0 {
			continue
		}
		if _, err := s.FollowupMessageCreate(i, true, p, discordgo.WithContext(ctx)); err != nil {
			log.Warn("follow-up failed", "err", err)
			return
		}
	}
}

// autocomplete runs an autocomplete handler and sends its choices.
func (d *dispatcher) autocomplete(ctx context.Context, s *discordgo.Session, c *Ctx, rt *route, log *slog.Logger) {
	if rt.autocomple == nil || rt.focused == nil {
		d.respondChoices(ctx, s, c.Interaction, log, nil)
		return
	}
	actx, cancel := context.WithTimeout(ctx, d.deferAfter+d.deferAfter/4)
	defer cancel()
	var choices []*discordgo.ApplicationCommandOptionChoice
	res := safeRun(actx, c, func(ctx context.Context, c *Ctx) (*Response, error) {
		var err error
		choices, err = rt.autocomple(ctx, c, rt.focused)
		return &Response{}, err
	})
	if res.err != nil {
		ref := newRef()
		log.Error("autocomplete failed", "ref", ref, "err", res.err)
		choices = nil
	}
	d.respondChoices(ctx, s, c.Interaction, log, choices)
}

func (d *dispatcher) respondChoices(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, log *slog.Logger, choices []*discordgo.ApplicationCommandOptionChoice) {
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, min(len(choices), 25))
	for _, ch := range choices {
		if ch == nil || len(out) == 25 {
			continue
		}
		c := *ch
		c.Name = embed.Truncate(c.Name, 100)
		if c.Name == "" {
			continue
		}
		if v, ok := c.Value.(string); ok {
			if len([]rune(v)) > 100 {
				continue // a cut value would mean something else
			}
		}
		out = append(out, &c)
	}
	err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: out},
	}, discordgo.WithContext(ctx))
	if err != nil {
		log.Warn("autocomplete response failed", "err", err)
	}
}
