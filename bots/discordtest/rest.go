package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

const (
	maxBody      = 32 << 20
	renameLimit  = 2
	renameWindow = 10 * time.Minute
)

// reply is what a REST handler decided; it is written after Server.mu is released.
type reply struct {
	status int
	body   any
}

type reqCtx struct {
	r      *http.Request
	method string
	path   string
	segs   []string
	query  url.Values
	body   []byte
	files  []File
	bot    *botState
	now    time.Time
}

// rendered is an encoded HTTP response.
type rendered struct {
	status int
	header http.Header
	body   []byte
}

// render encodes v as the JSON body of a response (no body for 204 or nil).
func render(status int, v any) rendered {
	if status == http.StatusNoContent || v == nil {
		return rendered{status: status}
	}
	return rendered{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: mustJSON(v)}
}

func (r rendered) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	if len(r.body) > 0 {
		_, _ = w.Write(r.body)
	}
}

func ok(v any) reply      { return reply{http.StatusOK, v} }
func created(v any) reply { return reply{http.StatusCreated, v} }
func noContent() reply    { return reply{status: http.StatusNoContent} }

func derr(status, code int, msg string) reply {
	return reply{status, map[string]any{"message": msg, "code": code}}
}

func formErr(f *formErrors) reply {
	// Discord reports an empty message with its own code.
	if len(f.list) == 1 && f.list[0].code == "EMPTY_MESSAGE" {
		return derr(http.StatusBadRequest, 50006, "Cannot send an empty message")
	}
	return reply{http.StatusBadRequest, map[string]any{"code": 50035, "message": "Invalid Form Body", "errors": f.body()}}
}

var (
	errUnauthorized   = derr(http.StatusUnauthorized, 0, "401: Unauthorized")
	errNotFound       = derr(http.StatusNotFound, 0, "404: Not Found")
	errMethod         = derr(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	errUnknownChannel = derr(http.StatusNotFound, 10003, "Unknown Channel")
	errUnknownGuild   = derr(http.StatusNotFound, 10004, "Unknown Guild")
	errUnknownMember  = derr(http.StatusNotFound, 10007, "Unknown Member")
	errUnknownMessage = derr(http.StatusNotFound, 10008, "Unknown Message")
	errUnknownRole    = derr(http.StatusNotFound, 10011, "Unknown Role")
	errUnknownUser    = derr(http.StatusNotFound, 10013, "Unknown User")
	errUnknownWebhook = derr(http.StatusNotFound, 10015, "Unknown Webhook")
	errUnknownCommand = derr(http.StatusNotFound, 10063, "Unknown application command")
	errUnknownInter   = derr(http.StatusNotFound, 10062, "Unknown interaction")
	errAlreadyAcked   = derr(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	errMissingAccess  = derr(http.StatusForbidden, 50001, "Missing Access")
	errNotAuthor      = derr(http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
	errBadWebhookTok  = derr(http.StatusUnauthorized, 50027, "Invalid Webhook Token")
	errThreadExists   = derr(http.StatusBadRequest, 160004, "A thread has already been created for this message")
	errNotThread      = derr(http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
	errTooManyChans   = derr(http.StatusBadRequest, 30013, "Maximum number of guild channels reached (500)")
)

func badJSON(err error) reply {
	return derr(http.StatusBadRequest, 50109, "The request body contains invalid JSON. "+err.Error())
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/api/v"):
		rest := path[len("/api/v"):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			path = rest[i:]
		} else {
			path = "/"
		}
	case strings.HasPrefix(path, "/api/"):
		path = path[len("/api"):]
	default:
		render(http.StatusNotFound, map[string]any{"message": "404: Not Found", "code": 0}).write(w)
		return
	}
	rc := &reqCtx{r: r, method: r.Method, path: path, segs: splitPath(path), query: r.URL.Query()}
	bodyErr := readBody(r, rc)

	// Route, encode and record in one critical section: handlers may return
	// live state, and a call is visible to Calls/WaitCall before the client
	// sees the response.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		render(http.StatusServiceUnavailable, map[string]any{"message": "closed", "code": 0}).write(w)
		return
	}
	rc.now = s.clock.Now()
	rc.bot = s.bots[stripBot(r.Header.Get("Authorization"))]
	var out rendered
	switch {
	case bodyErr != nil:
		out = render(http.StatusBadRequest, map[string]any{"message": bodyErr.Error(), "code": 50109})
	default:
		var inj *Failure
		if rc.bot != nil {
			inj = s.takeFailureLocked(rc.bot, rc.method, rc.path)
		}
		if inj != nil {
			out = renderFailure(inj, rc.path)
		} else {
			rep := s.routeLocked(rc)
			out = render(rep.status, rep.body)
		}
	}
	call := Call{
		Method: rc.method, Path: rc.path, Query: rc.query, Body: rc.body,
		Status: out.status, Response: out.body, At: rc.now,
	}
	if rc.bot != nil {
		call.BotUserID = rc.bot.bot.UserID
	} else if len(rc.segs) == 4 && rc.segs[0] == "interactions" {
		if rec := s.interByID[rc.segs[1]]; rec != nil {
			call.BotUserID = rec.bot.bot.UserID
		}
	}
	s.recordCallLocked(call)
	s.mu.Unlock()

	if out.status >= 400 {
		s.logf("%s %s -> %d %s", rc.method, rc.path, out.status, out.body)
	}
	out.write(w)
}

// readBody reads JSON bodies, and multipart bodies (payload_json + files).
func readBody(r *http.Request, rc *reqCtx) error {
	if r.Body == nil {
		return nil
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(io.LimitReader(r.Body, maxBody), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("bad multipart body: %v", err)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return err
			}
			if part.FormName() == "payload_json" {
				rc.body = data
				continue
			}
			rc.files = append(rc.files, File{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return err
	}
	rc.body = b
	return nil
}

func (rc *reqCtx) decode(v any) error {
	if len(bytes.TrimSpace(rc.body)) == 0 {
		return fmt.Errorf("empty body")
	}
	return json.Unmarshal(rc.body, v)
}

func (s *Server) routeLocked(rc *reqCtx) reply {
	sg := rc.segs
	if len(sg) == 0 {
		return errNotFound
	}
	if r := checkFiles(rc); r != nil {
		return *r
	}
	// Interaction callbacks authenticate by token in the URL.
	if sg[0] == "interactions" {
		if len(sg) == 4 && sg[3] == "callback" {
			if rc.method != http.MethodPost {
				return errMethod
			}
			return s.interactionCallbackLocked(rc, sg[1], sg[2])
		}
		return errNotFound
	}
	if rc.bot == nil {
		return errUnauthorized
	}
	switch sg[0] {
	case "gateway":
		if rc.method != http.MethodGet {
			return errMethod
		}
		if len(sg) == 1 {
			return ok(map[string]any{"url": s.GatewayURL()})
		}
		if len(sg) == 2 && sg[1] == "bot" {
			return ok(map[string]any{"url": s.GatewayURL(), "shards": 1, "session_start_limit": map[string]any{
				"total": 1000, "remaining": 1000 - rc.bot.stats.Identifies, "reset_after": 86400000, "max_concurrency": 1}})
		}
	case "users":
		return s.usersLocked(rc)
	case "webhooks":
		return s.webhooksLocked(rc)
	case "applications":
		return s.applicationsLocked(rc)
	case "channels":
		return s.channelsLocked(rc)
	case "guilds":
		return s.guildsLocked(rc)
	}
	return errNotFound
}

// ---- interactions ---------------------------------------------------------

type callbackBody struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data json.RawMessage                   `json:"data"`
}

func (s *Server) interactionCallbackLocked(rc *reqCtx, id, token string) reply {
	rec := s.interByID[id]
	if rec == nil || rec.token != token {
		return errUnknownInter
	}
	if rec.acked {
		return errAlreadyAcked
	}
	if rc.now.Sub(rec.created) > s.opts.AckDeadline {
		return errUnknownInter
	}
	var cb callbackBody
	if err := rc.decode(&cb); err != nil {
		return badJSON(err)
	}
	var data messageBody
	if len(cb.Data) > 0 && string(cb.Data) != "null" {
		if err := json.Unmarshal(cb.Data, &data); err != nil {
			return badJSON(err)
		}
	}
	f := &formErrors{}
	isComponent := rec.typ == discordgo.InteractionMessageComponent ||
		(rec.typ == discordgo.InteractionModalSubmit && rec.payload.Message != nil)
	badType := func() reply {
		f.add([]string{"type"}, "INTERACTION_RESPONSE_TYPE_INVALID", fmt.Sprintf("Interaction response type %d is not valid for interaction type %d", cb.Type, rec.typ))
		return formErr(f)
	}
	switch cb.Type {
	case discordgo.InteractionResponseChannelMessageWithSource:
		if rec.typ == discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
		validateMessage(f, []string{"data"}, &data, len(rc.files), true)
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		if rec.typ == discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
	case discordgo.InteractionResponseDeferredMessageUpdate:
		if !isComponent {
			return badType()
		}
	case discordgo.InteractionResponseUpdateMessage:
		if !isComponent {
			return badType()
		}
		validateMessage(f, []string{"data"}, &data, len(rc.files), false)
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if rec.typ != discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
		validateChoices(f, []string{"data"}, &data)
	case discordgo.InteractionResponseModal:
		if rec.typ == discordgo.InteractionApplicationCommandAutocomplete || rec.typ == discordgo.InteractionModalSubmit {
			return badType()
		}
		validateModal(f, []string{"data"}, &data)
	default:
		return badType()
	}
	if !f.empty() {
		return formErr(f)
	}

	rec.acked = true
	rec.ackType = cb.Type
	resp := Response{Kind: KindCallback, Type: cb.Type, Data: responseData(&data, cb.Data, rc.files), At: rc.now}
	switch cb.Type {
	case discordgo.InteractionResponseChannelMessageWithSource, discordgo.InteractionResponseDeferredChannelMessageWithSource:
		m := s.newBotMessageLocked(rec.bot, rec.channelID, rec.guildID, rc.now)
		m.Interaction = &discordgo.MessageInteraction{ID: rec.id, Type: rec.typ, User: interactionUser(rec.payload)}
		m.InteractionMetadata = &discordgo.MessageInteractionMetadata{ID: rec.id, Type: rec.typ, User: interactionUser(rec.payload)}
		m.WebhookID = rec.bot.bot.AppID
		if cb.Type == discordgo.InteractionResponseChannelMessageWithSource {
			s.applyMessageLocked(m, &data, rc.files)
		} else {
			m.Flags = discordgo.MessageFlagsLoading | (data.flags() & discordgo.MessageFlagsEphemeral)
		}
		rec.originalID = m.ID
		rec.original = m
		rec.ephemeral = m.Flags&discordgo.MessageFlagsEphemeral != 0
		if !rec.ephemeral {
			if cs, ok2 := s.channels[rec.channelID]; ok2 {
				s.storeMessageLocked(cs, m)
			}
		}
		resp.MessageID = m.ID
	case discordgo.InteractionResponseDeferredMessageUpdate, discordgo.InteractionResponseUpdateMessage:
		m := s.findComponentMessageLocked(rec)
		if m != nil {
			if cb.Type == discordgo.InteractionResponseUpdateMessage {
				s.applyEditLocked(m, &data, rc.files, rc.now)
				s.messageUpdatedLocked(rec, m)
			}
			rec.original = m
			resp.MessageID = m.ID
		}
	}
	rec.addResponseLocked(resp)
	return noContent()
}

func interactionUser(it *discordgo.Interaction) *discordgo.User {
	if it.Member != nil && it.Member.User != nil {
		return it.Member.User
	}
	return it.User
}

// findComponentMessageLocked returns the live message a component
// interaction came from (stored channel message or ephemeral record).
func (s *Server) findComponentMessageLocked(rec *interactionRec) *discordgo.Message {
	if rec.payload.Message == nil {
		return nil
	}
	id := rec.payload.Message.ID
	if cs, ok := s.channels[rec.channelID]; ok {
		for _, m := range cs.msgs {
			if m.ID == id {
				return m
			}
		}
	}
	for _, other := range s.interByID {
		if other.original != nil && other.original.ID == id {
			return other.original
		}
		if m, ok := other.followups[id]; ok {
			return m
		}
	}
	// A stub message only the interaction knows about.
	if rec.original == nil {
		rec.original = cloneMessage(rec.payload.Message)
	}
	return rec.original
}

// messageUpdatedLocked dispatches MESSAGE_UPDATE if m is a channel message.
// editMessageLocked applies a PATCH of message m (a channel message or an
// interaction's original/followup): decode, validate against Discord's
// limits, apply, emit MESSAGE_UPDATE. A non-nil reply is the error to send.
func (s *Server) editMessageLocked(rec *interactionRec, m *discordgo.Message, rc *reqCtx) (*messageBody, *reply) {
	var body messageBody
	if err := rc.decode(&body); err != nil {
		r := badJSON(err)
		return nil, &r
	}
	f := &formErrors{}
	validateMessage(f, nil, &body, len(rc.files), false)
	if !f.empty() {
		r := formErr(f)
		return nil, &r
	}
	s.applyEditLocked(m, &body, rc.files, rc.now)
	s.messageUpdatedLocked(rec, m)
	return &body, nil
}

func (s *Server) messageUpdatedLocked(_ *interactionRec, m *discordgo.Message) {
	cs, ok := s.channels[m.ChannelID]
	if !ok || !slices.Contains(cs.msgs, m) {
		return
	}
	s.fillMentionsLocked(m)
	s.notifyMessagesLocked()
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitMessageLocked(b, "MESSAGE_UPDATE", m)
	}
}

func (s *Server) messageDeletedLocked(m *discordgo.Message) {
	cs, ok := s.channels[m.ChannelID]
	if !ok {
		return
	}
	i := slices.Index(cs.msgs, m)
	if i < 0 {
		return
	}
	cs.msgs = slices.Delete(cs.msgs, i, i+1)
	s.notifyMessagesLocked()
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitLocked(b, "MESSAGE_DELETE", messageIntent(m), map[string]any{"id": m.ID, "channel_id": m.ChannelID, "guild_id": m.GuildID})
	}
}

func responseData(m *messageBody, raw json.RawMessage, files []File) ResponseData {
	d := ResponseData{TTS: m.TTS, CustomID: m.CustomID, Title: m.Title, Files: files, Raw: raw}
	if m.Content != nil {
		d.Content = *m.Content
	}
	d.Embeds = m.embeds()
	d.Components = decodeComponents(m.components())
	d.Flags = m.flags()
	if m.Choices != nil {
		d.Choices = *m.Choices
	}
	return d
}

func decodeComponents(raws []json.RawMessage) []discordgo.MessageComponent {
	var out []discordgo.MessageComponent
	for _, r := range raws {
		c, err := discordgo.MessageComponentFromJSON(r)
		if err == nil {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) newBotMessageLocked(b *botState, channelID, guildID string, now time.Time) *discordgo.Message {
	return &discordgo.Message{
		ID:          s.newIDLocked(),
		ChannelID:   channelID,
		GuildID:     guildID,
		Author:      cloneJSON(s.users[b.bot.UserID]),
		Timestamp:   now.UTC(),
		Type:        discordgo.MessageTypeDefault,
		Embeds:      []*discordgo.MessageEmbed{},
		Attachments: []*discordgo.MessageAttachment{},
		Mentions:    []*discordgo.User{},
		Components:  []discordgo.MessageComponent{},
	}
}

// applyMessage fills a new message from a create payload.
func (s *Server) applyMessageLocked(m *discordgo.Message, body *messageBody, files []File) {
	if body.Content != nil {
		m.Content = *body.Content
	}
	if e := body.embeds(); e != nil {
		m.Embeds = normEmbeds(e)
	}
	if body.Components != nil {
		m.Components = decodeComponents(*body.Components)
	}
	m.Flags = body.flags() & (discordgo.MessageFlagsEphemeral | discordgo.MessageFlagsSuppressEmbeds | discordgo.MessageFlagsIsComponentsV2 | discordgo.MessageFlagsSuppressNotifications)
	m.TTS = body.TTS
	m.Attachments = s.attachmentsLocked(m.ID, files)
}

// applyEdit applies a PATCH payload to an existing message.
func (s *Server) applyEditLocked(m *discordgo.Message, body *messageBody, files []File, now time.Time) {
	if body.Content != nil {
		m.Content = *body.Content
	}
	if e := body.embeds(); e != nil || body.Embeds != nil {
		m.Embeds = normEmbeds(e)
	}
	if body.Components != nil {
		m.Components = decodeComponents(*body.Components)
	}
	if body.Flags != nil {
		keep := m.Flags & discordgo.MessageFlagsEphemeral
		m.Flags = keep | (*body.Flags & (discordgo.MessageFlagsSuppressEmbeds | discordgo.MessageFlagsIsComponentsV2))
	}
	m.Flags &^= discordgo.MessageFlagsLoading
	if len(files) > 0 {
		m.Attachments = append(m.Attachments, s.attachmentsLocked(m.ID, files)...)
	}
	t := now.UTC()
	m.EditedTimestamp = &t
}

func normEmbeds(e []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, 0, len(e))
	for _, x := range e {
		if x == nil {
			continue
		}
		x = cloneJSON(x)
		if x.Type == "" {
			x.Type = discordgo.EmbedTypeRich
		}
		out = append(out, x)
	}
	return out
}

// ---- webhooks (followups / @original) -------------------------------------

func (s *Server) webhooksLocked(rc *reqCtx) reply {
	sg := rc.segs
	if len(sg) < 3 {
		return errNotFound
	}
	app, token := sg[1], sg[2]
	rec := s.interByTok[token]
	if rec == nil || rec.bot.bot.AppID != app {
		return errUnknownWebhook
	}
	if rc.now.Sub(rec.created) > s.opts.TokenLifetime {
		return errBadWebhookTok
	}
	if len(sg) == 3 {
		if rc.method != http.MethodPost {
			return errMethod
		}
		return s.followupLocked(rc, rec)
	}
	if len(sg) != 5 || sg[3] != "messages" {
		return errNotFound
	}
	mid := sg[4]
	var m *discordgo.Message
	original := mid == "@original"
	if original || mid == rec.originalID {
		original = true
		m = rec.original
		if !rec.acked || rec.ackType == discordgo.InteractionApplicationCommandAutocompleteResult || rec.ackType == discordgo.InteractionResponseModal {
			m = nil
		}
	} else {
		m = rec.followups[mid]
	}
	if m == nil {
		return errUnknownMessage
	}
	switch rc.method {
	case http.MethodGet:
		return ok(wireMsg(m))
	case http.MethodPatch:
		body, bad := s.editMessageLocked(rec, m, rc)
		if bad != nil {
			return *bad
		}
		kind := KindEditFollowup
		if original {
			kind = KindEditOriginal
		}
		rec.addResponseLocked(Response{Kind: kind, Data: responseData(body, rc.body, rc.files), MessageID: m.ID, At: rc.now})
		return ok(wireMsg(m))
	case http.MethodDelete:
		s.messageDeletedLocked(m)
		kind := KindDeleteFollowup
		if original {
			kind = KindDeleteOriginal
			rec.original = nil
		} else {
			delete(rec.followups, mid)
		}
		rec.addResponseLocked(Response{Kind: kind, MessageID: m.ID, At: rc.now})
		return noContent()
	}
	return errMethod
}

func (s *Server) followupLocked(rc *reqCtx, rec *interactionRec) reply {
	if !rec.acked {
		return errUnknownWebhook
	}
	var body messageBody
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	validateMessage(f, nil, &body, len(rc.files), true)
	if !f.empty() {
		return formErr(f)
	}
	var m *discordgo.Message
	if rec.ackType == discordgo.InteractionResponseDeferredChannelMessageWithSource && rec.original != nil &&
		rec.original.Flags&discordgo.MessageFlagsLoading != 0 {
		// Discord: the first followup after a deferred response replaces
		// the "thinking" message (keeping the deferral's ephemerality).
		m = rec.original
		eph := m.Flags & discordgo.MessageFlagsEphemeral
		s.applyEditLocked(m, &body, rc.files, rc.now)
		m.EditedTimestamp = nil
		m.Flags |= eph
		s.messageUpdatedLocked(rec, m)
	} else {
		m = s.newBotMessageLocked(rec.bot, rec.channelID, rec.guildID, rc.now)
		m.WebhookID = rec.bot.bot.AppID
		m.InteractionMetadata = &discordgo.MessageInteractionMetadata{ID: rec.id, Type: rec.typ, User: interactionUser(rec.payload)}
		s.applyMessageLocked(m, &body, rc.files)
		rec.followups[m.ID] = m
		if m.Flags&discordgo.MessageFlagsEphemeral == 0 {
			if cs, ok2 := s.channels[rec.channelID]; ok2 {
				s.storeMessageLocked(cs, m)
			}
		}
	}
	rec.addResponseLocked(Response{Kind: KindFollowup, Data: responseData(&body, rc.body, rc.files), MessageID: m.ID, At: rc.now})
	if rc.query.Get("wait") == "true" {
		return ok(wireMsg(m))
	}
	return noContent()
}

// ---- application commands ---------------------------------------------------

func (s *Server) applicationsLocked(rc *reqCtx) reply {
	sg := rc.segs
	b := rc.bot
	if len(sg) < 3 {
		return errNotFound
	}
	if sg[1] != b.bot.AppID {
		return errMissingAccess
	}
	var guildID string
	var rest []string
	switch {
	case sg[2] == "commands":
		rest = sg[3:]
	case sg[2] == "guilds" && len(sg) >= 5 && sg[4] == "commands":
		guildID = sg[3]
		if _, ok2 := s.guilds[guildID]; !ok2 {
			return errUnknownGuild
		}
		if !s.botInGuildLocked(b, guildID) {
			return errMissingAccess
		}
		rest = sg[5:]
	default:
		return errNotFound
	}
	list := b.globalCmds
	if guildID != "" {
		list = b.guildCmds[guildID]
	}
	store := func(l []*discordgo.ApplicationCommand) {
		if guildID == "" {
			b.globalCmds = l
		} else {
			b.guildCmds[guildID] = l
		}
	}
	if len(rest) == 0 {
		switch rc.method {
		case http.MethodGet:
			if list == nil {
				return ok([]any{})
			}
			return ok(list)
		case http.MethodPut:
			var cmds []*discordgo.ApplicationCommand
			if err := rc.decode(&cmds); err != nil {
				return badJSON(err)
			}
			f := &formErrors{}
			validateCommands(f, cmds)
			if !f.empty() {
				return formErr(f)
			}
			out := make([]*discordgo.ApplicationCommand, 0, len(cmds))
			for _, c := range cmds {
				out = append(out, s.finishCommandLocked(b, guildID, list, c))
			}
			store(out)
			return ok(out)
		case http.MethodPost:
			var c discordgo.ApplicationCommand
			if err := rc.decode(&c); err != nil {
				return badJSON(err)
			}
			next := slices.Clone(list)
			existing := -1
			for i, old := range list {
				if old.Name == c.Name && cmdType(old) == cmdType(&c) {
					existing = i
				}
			}
			fc := s.finishCommandLocked(b, guildID, list, &c)
			if existing >= 0 {
				next[existing] = fc
			} else {
				next = append(next, fc)
			}
			f := &formErrors{}
			validateCommands(f, next)
			if !f.empty() {
				return formErr(f)
			}
			store(next)
			if existing >= 0 {
				return ok(fc)
			}
			return created(fc)
		}
		return errMethod
	}
	if len(rest) != 1 {
		return errNotFound
	}
	idx := slices.IndexFunc(list, func(c *discordgo.ApplicationCommand) bool { return c.ID == rest[0] })
	if idx < 0 {
		return errUnknownCommand
	}
	switch rc.method {
	case http.MethodGet:
		return ok(list[idx])
	case http.MethodDelete:
		store(slices.Delete(slices.Clone(list), idx, idx+1))
		return noContent()
	case http.MethodPatch:
		merged := cloneJSON(list[idx])
		if err := json.Unmarshal(rc.body, merged); err != nil {
			return badJSON(err)
		}
		next := slices.Clone(list)
		next[idx] = merged
		f := &formErrors{}
		validateCommands(f, next)
		if !f.empty() {
			return formErr(f)
		}
		merged.ID = list[idx].ID
		merged.Version = s.newIDLocked()
		store(next)
		return ok(merged)
	}
	return errMethod
}

func cmdType(c *discordgo.ApplicationCommand) discordgo.ApplicationCommandType {
	if c.Type == 0 {
		return discordgo.ChatApplicationCommand
	}
	return c.Type
}

// finishCommandLocked assigns IDs, keeping the ID of an existing command
// with the same name and type (as Discord does on overwrite).
func (s *Server) finishCommandLocked(b *botState, guildID string, old []*discordgo.ApplicationCommand, c *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
	c = cloneJSON(c)
	c.Type = cmdType(c)
	c.ApplicationID = b.bot.AppID
	c.GuildID = guildID
	c.ID = ""
	for _, o := range old {
		if o.Name == c.Name && cmdType(o) == c.Type {
			c.ID = o.ID
		}
	}
	if c.ID == "" {
		c.ID = s.newIDLocked()
	}
	c.Version = s.newIDLocked()
	return c
}

// ---- channels ----------------------------------------------------------------

// channelAccessLocked returns the channel if bot may access it.
func (s *Server) channelAccessLocked(b *botState, id string) (*channelState, *reply) {
	cs, ok := s.channels[id]
	if !ok {
		r := errUnknownChannel
		return nil, &r
	}
	if cs.ch.GuildID != "" {
		if !s.botInGuildLocked(b, cs.ch.GuildID) {
			r := errMissingAccess
			return nil, &r
		}
		return cs, nil
	}
	for _, u := range cs.ch.Recipients {
		if u.ID == b.bot.UserID {
			return cs, nil
		}
	}
	r := errMissingAccess
	return nil, &r
}

func (s *Server) channelsLocked(rc *reqCtx) reply {
	sg := rc.segs
	b := rc.bot
	if len(sg) < 2 {
		return errNotFound
	}
	cs, bad := s.channelAccessLocked(b, sg[1])
	if bad != nil {
		return *bad
	}
	if !s.canSeeThreadLocked(cs, b.bot.UserID) {
		return errMissingAccess
	}
	switch {
	case len(sg) == 2:
		switch rc.method {
		case http.MethodGet:
			if r := s.need(rc, cs, discordgo.PermissionViewChannel); r != nil {
				return *r
			}
			return ok(cs.ch)
		case http.MethodPatch:
			return s.channelEditLocked(rc, cs)
		case http.MethodDelete:
			perm := int64(discordgo.PermissionManageChannels)
			if cs.ch.IsThread() {
				perm = discordgo.PermissionManageThreads
			}
			if r := s.need(rc, cs, perm); r != nil {
				return *r
			}
			return s.channelDeleteLocked(cs)
		}
		return errMethod
	case len(sg) == 3 && sg[2] == "messages":
		switch rc.method {
		case http.MethodGet:
			if r := s.need(rc, cs, discordgo.PermissionViewChannel|discordgo.PermissionReadMessageHistory); r != nil {
				return *r
			}
			return s.listMessagesLocked(rc, cs)
		case http.MethodPost:
			return s.createMessageLocked(rc, cs)
		}
		return errMethod
	case len(sg) == 3 && sg[2] == "typing":
		return noContent()
	case len(sg) == 4 && sg[2] == "permissions":
		return s.channelPermissionLocked(rc, cs, sg[3])
	case len(sg) == 4 && sg[2] == "messages" && sg[3] == "bulk-delete" && rc.method == http.MethodPost:
		return s.bulkDeleteLocked(rc, cs)
	case len(sg) == 3 && sg[2] == "threads" && rc.method == http.MethodPost:
		return s.startThreadLocked(rc, cs, nil)
	case len(sg) == 4 && sg[2] == "messages":
		m := findMessage(cs, sg[3])
		if m == nil {
			return errUnknownMessage
		}
		switch rc.method {
		case http.MethodGet:
			if r := s.need(rc, cs, discordgo.PermissionViewChannel|discordgo.PermissionReadMessageHistory); r != nil {
				return *r
			}
			return ok(wireMsg(m))
		case http.MethodPatch:
			if m.Author == nil || m.Author.ID != b.bot.UserID {
				return errNotAuthor
			}
			if _, bad := s.editMessageLocked(nil, m, rc); bad != nil {
				return *bad
			}
			return ok(wireMsg(m))
		case http.MethodDelete:
			if m.Author == nil || m.Author.ID != b.bot.UserID {
				if r := s.need(rc, cs, discordgo.PermissionManageMessages); r != nil {
					return *r
				}
			}
			s.messageDeletedLocked(m)
			return noContent()
		}
		return errMethod
	case len(sg) == 5 && sg[2] == "messages" && sg[4] == "threads" && rc.method == http.MethodPost:
		m := findMessage(cs, sg[3])
		if m == nil {
			return errUnknownMessage
		}
		return s.startThreadLocked(rc, cs, m)
	case len(sg) >= 6 && sg[2] == "messages" && sg[4] == "reactions":
		if findMessage(cs, sg[3]) == nil {
			return errUnknownMessage
		}
		if rc.method == http.MethodPut {
			if r := s.need(rc, cs, discordgo.PermissionAddReactions|discordgo.PermissionReadMessageHistory); r != nil {
				return *r
			}
		}
		if rc.method == http.MethodPut || rc.method == http.MethodDelete {
			return noContent()
		}
		return ok([]any{})
	case len(sg) == 4 && sg[2] == "pins":
		if findMessage(cs, sg[3]) == nil {
			return errUnknownMessage
		}
		if r := s.need(rc, cs, discordgo.PermissionManageMessages); r != nil {
			return *r
		}
		return noContent()
	case len(sg) == 4 && sg[2] == "thread-members":
		return s.threadMemberLocked(rc, cs, sg[3])
	case len(sg) == 3 && sg[2] == "thread-members" && rc.method == http.MethodGet:
		if !cs.ch.IsThread() {
			return errNotThread
		}
		out := []*discordgo.ThreadMember{}
		for _, uid := range cs.threadMemberIDs() {
			out = append(out, &discordgo.ThreadMember{ID: cs.ch.ID, UserID: uid, JoinTimestamp: rc.now.UTC()})
		}
		return ok(out)
	}
	return errNotFound
}

func findMessage(cs *channelState, id string) *discordgo.Message {
	for _, m := range cs.msgs {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (s *Server) createMessageLocked(rc *reqCtx, cs *channelState) reply {
	var body messageBody
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	validateMessage(f, nil, &body, len(rc.files), true)
	checkNonce(f, &body)
	if body.flags()&discordgo.MessageFlagsEphemeral != 0 {
		f.add([]string{"flags"}, "MESSAGE_FLAGS_INVALID", "Ephemeral messages can only be sent as interaction responses.")
	}
	if body.MessageReference != nil && body.MessageReference.MessageID != "" {
		refCh := body.MessageReference.ChannelID
		if refCh == "" || refCh == cs.ch.ID {
			if findMessage(cs, body.MessageReference.MessageID) == nil {
				f.add([]string{"message_reference"}, "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
			}
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	send := int64(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages)
	if cs.ch.IsThread() {
		send = discordgo.PermissionViewChannel | discordgo.PermissionSendMessagesInThreads
	}
	if len(rc.files) > 0 {
		send |= discordgo.PermissionAttachFiles
	}
	if r := s.need(rc, cs, send); r != nil {
		return *r
	}
	if r := s.dmBlockedLocked(cs); r != nil {
		return *r
	}
	if md := cs.ch.ThreadMetadata; cs.ch.IsThread() && md != nil && md.Archived {
		if md.Locked && s.need(rc, cs, discordgo.PermissionManageThreads) != nil {
			return derr(http.StatusBadRequest, 50083, "Thread is archived")
		}
		// Sending to an archived (unlocked) thread unarchives it.
		md.Archived = false
		md.ArchiveTimestamp = rc.now.UTC()
		for _, b := range s.channelAudienceLocked(cs) {
			s.emitLocked(b, "THREAD_UPDATE", discordgo.IntentsGuilds, cs.ch)
		}
	}
	if prev := s.nonceMessageLocked(cs, rc, &body); prev != nil {
		return ok(wireMsg(prev)) // enforce_nonce: the earlier message, no second one
	}
	m := s.newBotMessageLocked(rc.bot, cs.ch.ID, cs.ch.GuildID, rc.now)
	s.applyMessageLocked(m, &body, rc.files)
	if body.MessageReference != nil && body.MessageReference.MessageID != "" {
		m.Type = discordgo.MessageTypeReply
		m.MessageReference = body.MessageReference
		m.ReferencedMessage = findMessage(cs, body.MessageReference.MessageID)
		if m.ReferencedMessage != nil {
			m.ReferencedMessage = cloneMessage(m.ReferencedMessage)
		}
	}
	s.storeMessageLocked(cs, m)
	s.rememberNonceLocked(cs, rc, &body, m)
	s.threadMentionAddsLocked(cs, m, body.AllowedMentions, rc.now)
	return ok(wireMsg(m))
}

func (s *Server) listMessagesLocked(rc *reqCtx, cs *channelState) reply {
	limit := 50
	if v := rc.query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			f := &formErrors{}
			f.add([]string{"limit"}, "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
			return formErr(f)
		}
		limit = n
	}
	msgs := cs.msgs // oldest first
	var sel []*discordgo.Message
	switch {
	case rc.query.Get("after") != "":
		after := rc.query.Get("after")
		for _, m := range msgs {
			if idLess(after, m.ID) {
				sel = append(sel, m)
				if len(sel) == limit {
					break
				}
			}
		}
	case rc.query.Get("around") != "":
		around := rc.query.Get("around")
		i := slices.IndexFunc(msgs, func(m *discordgo.Message) bool { return !idLess(m.ID, around) })
		if i < 0 {
			i = len(msgs)
		}
		lo := max(0, i-limit/2)
		hi := min(len(msgs), lo+limit)
		sel = msgs[lo:hi]
	default:
		before := rc.query.Get("before")
		for i := len(msgs) - 1; i >= 0 && len(sel) < limit; i-- {
			if before == "" || idLess(msgs[i].ID, before) {
				sel = append(sel, msgs[i])
			}
		}
		slices.Reverse(sel)
	}
	// Discord returns newest first.
	out := slices.Clone(sel)
	slices.Reverse(out)
	if out == nil {
		out = []*discordgo.Message{}
	}
	return ok(wireMsgs(out))
}

func (s *Server) channelEditLocked(rc *reqCtx, cs *channelState) reply {
	var raw map[string]json.RawMessage
	if err := rc.decode(&raw); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	ch := cloneJSON(cs.ch)
	str := func(k string, dst *string) {
		if v, ok := raw[k]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				f.add([]string{k}, "BASE_TYPE_BAD_TYPE", "Invalid value")
			}
		}
	}
	str("name", &ch.Name)
	if _, ok := raw["name"]; ok {
		f.lenRange([]string{"name"}, ch.Name, 1, MaxChannelName)
	}
	str("topic", &ch.Topic)
	f.maxLen([]string{"topic"}, ch.Topic, 1024)
	str("parent_id", &ch.ParentID)
	if v, ok := raw["permission_overwrites"]; ok {
		if err := json.Unmarshal(v, &ch.PermissionOverwrites); err != nil {
			f.add([]string{"permission_overwrites"}, "BASE_TYPE_BAD_TYPE", "Invalid value")
		}
	}
	if v, ok := raw["position"]; ok {
		_ = json.Unmarshal(v, &ch.Position)
	}
	if v, ok := raw["nsfw"]; ok {
		_ = json.Unmarshal(v, &ch.NSFW)
	}
	if v, ok := raw["rate_limit_per_user"]; ok {
		_ = json.Unmarshal(v, &ch.RateLimitPerUser)
	}
	if ch.IsThread() {
		md := ch.ThreadMetadata
		if md == nil {
			md = &discordgo.ThreadMetadata{}
			ch.ThreadMetadata = md
		}
		if v, ok := raw["archived"]; ok {
			var a bool
			_ = json.Unmarshal(v, &a)
			if a != md.Archived {
				md.ArchiveTimestamp = rc.now.UTC()
			}
			md.Archived = a
		}
		if v, ok := raw["locked"]; ok {
			_ = json.Unmarshal(v, &md.Locked)
		}
		if v, ok := raw["invitable"]; ok {
			_ = json.Unmarshal(v, &md.Invitable)
		}
		if v, ok := raw["auto_archive_duration"]; ok {
			_ = json.Unmarshal(v, &md.AutoArchiveDuration)
			if !validArchive(md.AutoArchiveDuration) {
				f.add([]string{"auto_archive_duration"}, "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
			}
		}
	}
	if ch.ParentID != "" && ch.ParentID != cs.ch.ParentID && !ch.IsThread() {
		p, ok := s.channels[ch.ParentID]
		if !ok || p.ch.Type != discordgo.ChannelTypeGuildCategory || p.ch.GuildID != ch.GuildID {
			f.add([]string{"parent_id"}, "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	if cs.ch.IsThread() {
		if cs.ch.OwnerID != rc.bot.bot.UserID {
			if r := s.need(rc, cs, discordgo.PermissionManageThreads); r != nil {
				return *r
			}
		}
	} else {
		perm := int64(discordgo.PermissionManageChannels)
		if _, ok := raw["permission_overwrites"]; ok {
			perm |= discordgo.PermissionManageRoles
		}
		if r := s.need(rc, cs, perm); r != nil {
			return *r
		}
	}
	if s.opts.EnforceRenameLimit && (ch.Name != cs.ch.Name || ch.Topic != cs.ch.Topic) {
		cs.renames = slices.DeleteFunc(cs.renames, func(t time.Time) bool { return rc.now.Sub(t) >= renameWindow })
		if len(cs.renames) >= renameLimit {
			wait := renameWindow - rc.now.Sub(cs.renames[0])
			return reply{http.StatusTooManyRequests, map[string]any{
				"message": "You are being rate limited.", "retry_after": wait.Seconds(), "global": false}}
		}
		cs.renames = append(cs.renames, rc.now)
	}
	cs.ch = ch
	ev := "CHANNEL_UPDATE"
	if ch.IsThread() {
		ev = "THREAD_UPDATE"
	}
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitLocked(b, ev, discordgo.IntentsGuilds, ch)
	}
	return ok(ch)
}

func (s *Server) channelDeleteLocked(cs *channelState) reply {
	if cs.ch.GuildID == "" {
		return ok(cs.ch) // closing a DM is a no-op here
	}
	gs := s.guilds[cs.ch.GuildID]
	aud := s.botsInGuildLocked(gs)
	del := func(c *channelState) {
		delete(s.channels, c.ch.ID)
		if i := slices.Index(gs.channelOrder, c.ch.ID); i >= 0 {
			gs.channelOrder = slices.Delete(gs.channelOrder, i, i+1)
		}
		ev, payload := "CHANNEL_DELETE", any(c.ch)
		if c.ch.IsThread() {
			ev = "THREAD_DELETE"
			payload = map[string]any{"id": c.ch.ID, "guild_id": c.ch.GuildID, "parent_id": c.ch.ParentID, "type": c.ch.Type}
		}
		for _, b := range aud {
			s.emitLocked(b, ev, discordgo.IntentsGuilds, payload)
		}
	}
	// Deleting a channel deletes its threads.
	for _, id := range slices.Clone(gs.channelOrder) {
		if c, ok := s.channels[id]; ok && c.ch.IsThread() && c.ch.ParentID == cs.ch.ID {
			del(c)
		}
	}
	del(cs)
	if cs.ch.Type == discordgo.ChannelTypeGuildCategory {
		// Children lose their parent.
		for _, id := range gs.channelOrder {
			if c, ok := s.channels[id]; ok && c.ch.ParentID == cs.ch.ID {
				c.ch.ParentID = ""
				for _, b := range aud {
					s.emitLocked(b, "CHANNEL_UPDATE", discordgo.IntentsGuilds, c.ch)
				}
			}
		}
	}
	return ok(cs.ch)
}

// ---- guilds ------------------------------------------------------------------

func (s *Server) guildsLocked(rc *reqCtx) reply {
	sg := rc.segs
	b := rc.bot
	if len(sg) < 2 {
		return errNotFound
	}
	gs, ok2 := s.guilds[sg[1]]
	if !ok2 {
		return errUnknownGuild
	}
	if !s.botInGuildLocked(b, gs.id) {
		return errMissingAccess
	}
	switch {
	case len(sg) == 2 && rc.method == http.MethodGet:
		g := s.guildCreateLocked(gs)
		g.Channels, g.Threads, g.Members = nil, nil, nil
		return ok(g)
	case len(sg) == 3 && sg[2] == "channels":
		switch rc.method {
		case http.MethodGet:
			out := []*discordgo.Channel{}
			for _, id := range gs.channelOrder {
				if c, ok := s.channels[id]; ok && !c.ch.IsThread() {
					out = append(out, c.ch)
				}
			}
			return ok(out)
		case http.MethodPost:
			return s.createChannelLocked(rc, gs)
		}
		return errMethod
	case len(sg) == 3 && sg[2] == "roles":
		switch rc.method {
		case http.MethodGet:
			return ok(gs.roles)
		case http.MethodPost:
			return s.roleWriteLocked(rc, gs, nil)
		}
		return errMethod
	case len(sg) == 4 && sg[2] == "roles":
		ri := slices.IndexFunc(gs.roles, func(r *discordgo.Role) bool { return r.ID == sg[3] })
		if ri < 0 {
			return errUnknownRole
		}
		switch rc.method {
		case http.MethodPatch:
			return s.roleWriteLocked(rc, gs, gs.roles[ri])
		case http.MethodDelete:
			if r := s.needGuild(rc, gs, discordgo.PermissionManageRoles); r != nil {
				return *r
			}
			if gs.roles[ri].ID == gs.id {
				return derr(http.StatusBadRequest, 50028, "Invalid role")
			}
			id := gs.roles[ri].ID
			gs.roles = slices.Delete(gs.roles, ri, ri+1)
			for _, m := range gs.members {
				m.Roles = slices.DeleteFunc(m.Roles, func(r string) bool { return r == id })
			}
			for _, ob := range s.botsInGuildLocked(gs) {
				s.emitLocked(ob, "GUILD_ROLE_DELETE", discordgo.IntentsGuilds, map[string]any{"guild_id": gs.id, "role_id": id})
			}
			return noContent()
		}
		return errMethod
	case len(sg) == 4 && sg[2] == "threads" && sg[3] == "active" && rc.method == http.MethodGet:
		out := &discordgo.ThreadsList{Threads: []*discordgo.Channel{}, Members: []*discordgo.ThreadMember{}}
		for _, id := range gs.channelOrder {
			c, ok := s.channels[id]
			if !ok || !c.ch.IsThread() || (c.ch.ThreadMetadata != nil && c.ch.ThreadMetadata.Archived) {
				continue
			}
			out.Threads = append(out.Threads, c.ch)
			if c.threadMembers[b.bot.UserID] {
				out.Members = append(out.Members, &discordgo.ThreadMember{ID: id, UserID: b.bot.UserID})
			}
		}
		return ok(out)
	case len(sg) == 3 && sg[2] == "members" && rc.method == http.MethodGet:
		limit := 1
		if v := rc.query.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				f := &formErrors{}
				f.add([]string{"limit"}, "NUMBER_TYPE_MAX", "int value should be between 1 and 1000.")
				return formErr(f)
			}
			limit = n
		}
		after := rc.query.Get("after")
		ids := slices.Clone(gs.memberOrder)
		sort.Slice(ids, func(i, j int) bool { return idLess(ids[i], ids[j]) })
		out := []*discordgo.Member{}
		for _, id := range ids {
			if after != "" && !idLess(after, id) {
				continue
			}
			out = append(out, gs.members[id])
			if len(out) == limit {
				break
			}
		}
		return ok(out)
	case len(sg) == 4 && sg[2] == "members":
		uid := sg[3]
		if uid == "@me" {
			uid = b.bot.UserID
		}
		m, found := gs.members[uid]
		if !found {
			return errUnknownMember
		}
		switch rc.method {
		case http.MethodGet:
			return ok(m)
		case http.MethodPatch:
			return s.memberEditLocked(rc, gs, m)
		case http.MethodDelete:
			if r := s.needGuild(rc, gs, discordgo.PermissionKickMembers); r != nil {
				return *r
			}
			delete(gs.members, uid)
			gs.memberOrder = slices.DeleteFunc(gs.memberOrder, func(id string) bool { return id == uid })
			for _, ob := range s.botsInGuildLocked(gs) {
				s.emitLocked(ob, "GUILD_MEMBER_REMOVE", discordgo.IntentsGuildMembers, map[string]any{"guild_id": gs.id, "user": m.User})
			}
			return noContent()
		}
		return errMethod
	case len(sg) == 6 && sg[2] == "members" && sg[4] == "roles":
		m, ok := gs.members[sg[3]]
		if !ok {
			return errUnknownMember
		}
		ri := slices.IndexFunc(gs.roles, func(r *discordgo.Role) bool { return r.ID == sg[5] })
		if ri < 0 {
			return errUnknownRole
		}
		if r := s.needGuild(rc, gs, discordgo.PermissionManageRoles); r != nil {
			return *r
		}
		if s.opts.EnforcePermissions && gs.ownerID != b.bot.UserID &&
			gs.roles[ri].Position >= highestRolePosition(gs, gs.members[b.bot.UserID].Roles) {
			return errMissingPerms // role hierarchy: the bot's top role must be above the role
		}
		switch rc.method {
		case http.MethodPut:
			if !slices.Contains(m.Roles, sg[5]) {
				m.Roles = append(m.Roles, sg[5])
			}
		case http.MethodDelete:
			m.Roles = slices.DeleteFunc(m.Roles, func(r string) bool { return r == sg[5] })
		default:
			return errMethod
		}
		for _, ob := range s.botsInGuildLocked(gs) {
			s.emitLocked(ob, "GUILD_MEMBER_UPDATE", discordgo.IntentsGuildMembers, m)
		}
		return noContent()
	}
	return errNotFound
}

func (s *Server) createChannelLocked(rc *reqCtx, gs *guildState) reply {
	var body discordgo.GuildChannelCreateData
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	f.lenRange([]string{"name"}, body.Name, 1, MaxChannelName)
	f.maxLen([]string{"topic"}, body.Topic, 1024)
	switch body.Type {
	case discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildVoice, discordgo.ChannelTypeGuildCategory,
		discordgo.ChannelTypeGuildNews, discordgo.ChannelTypeGuildStageVoice, discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia:
	default:
		f.add([]string{"type"}, "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4, 5, 13, 15, 16}.")
	}
	total, inParent := 0, 0
	for _, id := range gs.channelOrder {
		c, ok := s.channels[id]
		if !ok || c.ch.IsThread() {
			continue
		}
		total++
		if body.ParentID != "" && c.ch.ParentID == body.ParentID {
			inParent++
		}
	}
	if body.ParentID != "" {
		p, ok := s.channels[body.ParentID]
		if !ok || p.ch.Type != discordgo.ChannelTypeGuildCategory || p.ch.GuildID != gs.id {
			f.add([]string{"parent_id"}, "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
		} else if body.Type == discordgo.ChannelTypeGuildCategory {
			f.add([]string{"parent_id"}, "CHANNEL_PARENT_INVALID_TYPE", "Categories cannot have a parent")
		} else if inParent >= 50 {
			f.add([]string{"parent_id"}, "CHANNEL_PARENT_MAX_CHANNELS", "Maximum number of channels in category reached (50)")
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	perm := int64(discordgo.PermissionManageChannels)
	if len(body.PermissionOverwrites) > 0 {
		perm |= discordgo.PermissionManageRoles
	}
	if r := s.needGuild(rc, gs, perm); r != nil {
		return *r
	}
	if total >= 500 {
		return errTooManyChans
	}
	ch := &discordgo.Channel{
		ID: s.newIDLocked(), GuildID: gs.id, Name: body.Name, Type: body.Type, Topic: body.Topic,
		Bitrate: body.Bitrate, UserLimit: body.UserLimit, RateLimitPerUser: body.RateLimitPerUser,
		Position: body.Position, PermissionOverwrites: body.PermissionOverwrites, ParentID: body.ParentID, NSFW: body.NSFW,
	}
	if ch.PermissionOverwrites == nil {
		ch.PermissionOverwrites = []*discordgo.PermissionOverwrite{}
	}
	s.channels[ch.ID] = &channelState{ch: ch, threadMessage: map[string]string{}}
	gs.channelOrder = append(gs.channelOrder, ch.ID)
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "CHANNEL_CREATE", discordgo.IntentsGuilds, ch)
	}
	return created(ch)
}

func (s *Server) roleWriteLocked(rc *reqCtx, gs *guildState, existing *discordgo.Role) reply {
	if r := s.needGuild(rc, gs, discordgo.PermissionManageRoles); r != nil {
		return *r
	}
	var body discordgo.RoleParams
	if len(bytes.TrimSpace(rc.body)) > 0 {
		if err := json.Unmarshal(rc.body, &body); err != nil {
			return badJSON(err)
		}
	}
	f := &formErrors{}
	f.maxLen([]string{"name"}, body.Name, 100)
	if !f.empty() {
		return formErr(f)
	}
	ev := "GUILD_ROLE_UPDATE"
	role := existing
	if role == nil {
		if len(gs.roles) >= 250 {
			return derr(http.StatusBadRequest, 30005, "Maximum number of guild roles reached (250)")
		}
		role = &discordgo.Role{ID: s.newIDLocked(), Name: "new role", Position: 1}
		for _, r := range gs.roles {
			if r.ID != gs.id {
				r.Position++
			}
		}
		gs.roles = append(gs.roles, role)
		ev = "GUILD_ROLE_CREATE"
	} else if s.opts.EnforcePermissions && gs.ownerID != rc.bot.bot.UserID &&
		role.Position >= highestRolePosition(gs, gs.members[rc.bot.bot.UserID].Roles) {
		return errMissingPerms
	}
	if body.Name != "" {
		role.Name = body.Name
	}
	if body.Color != nil {
		role.Color = *body.Color
	}
	if body.Hoist != nil {
		role.Hoist = *body.Hoist
	}
	if body.Permissions != nil {
		role.Permissions = *body.Permissions
	}
	if body.Mentionable != nil {
		role.Mentionable = *body.Mentionable
	}
	for _, ob := range s.botsInGuildLocked(gs) {
		s.emitLocked(ob, ev, discordgo.IntentsGuilds, map[string]any{"guild_id": gs.id, "role": role})
	}
	return ok(role)
}

func (s *Server) memberEditLocked(rc *reqCtx, gs *guildState, m *discordgo.Member) reply {
	var raw map[string]json.RawMessage
	if err := rc.decode(&raw); err != nil {
		return badJSON(err)
	}
	next := cloneJSON(m)
	if v, ok := raw["nick"]; ok {
		if r := s.needGuild(rc, gs, discordgo.PermissionManageNicknames); r != nil && m.User.ID != rc.bot.bot.UserID {
			return *r
		}
		var nick *string
		_ = json.Unmarshal(v, &nick)
		next.Nick = ""
		if nick != nil {
			next.Nick = *nick
		}
	}
	if v, ok := raw["roles"]; ok {
		if r := s.needGuild(rc, gs, discordgo.PermissionManageRoles); r != nil {
			return *r
		}
		var roles []string
		if err := json.Unmarshal(v, &roles); err != nil {
			return badJSON(err)
		}
		top := highestRolePosition(gs, gs.members[rc.bot.bot.UserID].Roles)
		for _, id := range roles {
			ri := slices.IndexFunc(gs.roles, func(r *discordgo.Role) bool { return r.ID == id })
			if ri < 0 {
				return errUnknownRole
			}
			if s.opts.EnforcePermissions && gs.ownerID != rc.bot.bot.UserID && !slices.Contains(m.Roles, id) && gs.roles[ri].Position >= top {
				return errMissingPerms
			}
		}
		next.Roles = roles
	}
	if v, ok := raw["communication_disabled_until"]; ok {
		if r := s.needGuild(rc, gs, discordgo.PermissionModerateMembers); r != nil {
			return *r
		}
		var until *time.Time
		_ = json.Unmarshal(v, &until)
		next.CommunicationDisabledUntil = until
	}
	*m = *next
	for _, ob := range s.botsInGuildLocked(gs) {
		s.emitLocked(ob, "GUILD_MEMBER_UPDATE", discordgo.IntentsGuildMembers, m)
	}
	return ok(m)
}

// channelPermissionLocked handles PUT/DELETE /channels/{c}/permissions/{id}.
func (s *Server) channelPermissionLocked(rc *reqCtx, cs *channelState, target string) reply {
	if cs.ch.GuildID == "" || cs.ch.IsThread() {
		return errNotThread
	}
	if r := s.need(rc, cs, discordgo.PermissionManageRoles); r != nil {
		return *r
	}
	ch := cloneJSON(cs.ch)
	ch.PermissionOverwrites = slices.DeleteFunc(ch.PermissionOverwrites, func(o *discordgo.PermissionOverwrite) bool { return o.ID == target })
	switch rc.method {
	case http.MethodPut:
		var o discordgo.PermissionOverwrite
		if err := rc.decode(&o); err != nil {
			return badJSON(err)
		}
		o.ID = target
		if o.Type != discordgo.PermissionOverwriteTypeRole && o.Type != discordgo.PermissionOverwriteTypeMember {
			f := &formErrors{}
			f.add([]string{"type"}, "BASE_TYPE_CHOICES", "Value must be one of {0, 1}.")
			return formErr(f)
		}
		ch.PermissionOverwrites = append(ch.PermissionOverwrites, &o)
	case http.MethodDelete:
	default:
		return errMethod
	}
	cs.ch = ch
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitLocked(b, "CHANNEL_UPDATE", discordgo.IntentsGuilds, ch)
	}
	return noContent()
}

// bulkDeleteLocked handles POST /channels/{c}/messages/bulk-delete.
func (s *Server) bulkDeleteLocked(rc *reqCtx, cs *channelState) reply {
	var body struct {
		Messages []string `json:"messages"`
	}
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	if len(body.Messages) < 2 || len(body.Messages) > 100 {
		f.add([]string{"messages"}, "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
	}
	for i, id := range body.Messages {
		if t, err := discordgo.SnowflakeTimestamp(id); err == nil && rc.now.Sub(t) > 14*24*time.Hour {
			f.add([]string{"messages", strconv.Itoa(i)}, "MESSAGE_BULK_DELETE_TOO_OLD", "You can only bulk delete messages that are under 14 days old.")
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	if r := s.need(rc, cs, discordgo.PermissionManageMessages); r != nil {
		return *r
	}
	var deleted []string
	for _, id := range body.Messages {
		if m := findMessage(cs, id); m != nil {
			i := slices.Index(cs.msgs, m)
			cs.msgs = slices.Delete(cs.msgs, i, i+1)
			deleted = append(deleted, id)
		}
	}
	if len(deleted) > 0 {
		s.notifyMessagesLocked()
		for _, b := range s.channelAudienceLocked(cs) {
			s.emitLocked(b, "MESSAGE_DELETE_BULK", discordgo.IntentsGuildMessages,
				map[string]any{"ids": deleted, "channel_id": cs.ch.ID, "guild_id": cs.ch.GuildID})
		}
	}
	return noContent()
}
