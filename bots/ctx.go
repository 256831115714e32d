package bots

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bwmarrin/discordgo"
)

// Ctx describes the interaction a handler serves. It is built by the router
// from the (untrusted) payload; absent data yields zero values, never a
// panic.
type Ctx struct {
	Session     *discordgo.Session
	Interaction *discordgo.Interaction
	Bot         BotKind
	Log         *slog.Logger

	GuildID   string
	ChannelID string
	User      *discordgo.User   // never nil (an empty user if Discord sent none)
	Member    *discordgo.Member // nil in DMs
	// Staff reports whether the caller passed the staff check (Administrator
	// or a staff role). Only computed for Staff routes; false otherwise.
	Staff bool

	// Slash commands and autocomplete.
	Command string // command name
	Sub     string // "" or "sub" or "group sub"
	Options map[string]*discordgo.ApplicationCommandInteractionDataOption

	// Components and modals.
	CustomID string
	Args     string   // custom_id after "prefix:"
	Values   []string // select menu values (ids for role/channel selects)
	Fields   map[string]string

	router *Router
}

// String returns a string option, or "".
func (c *Ctx) String(name string) string {
	if o := c.Options[name]; o != nil {
		if s, ok := o.Value.(string); ok {
			return s
		}
	}
	return ""
}

// Int returns an integer option, or 0.
func (c *Ctx) Int(name string) int64 {
	if o := c.Options[name]; o != nil {
		if f, ok := o.Value.(float64); ok {
			return int64(f)
		}
	}
	return 0
}

// Number returns a number option, or 0.
func (c *Ctx) Number(name string) float64 {
	if o := c.Options[name]; o != nil {
		if f, ok := o.Value.(float64); ok {
			return f
		}
	}
	return 0
}

// Bool returns a boolean option, or false.
func (c *Ctx) Bool(name string) bool {
	if o := c.Options[name]; o != nil {
		if b, ok := o.Value.(bool); ok {
			return b
		}
	}
	return false
}

// ID returns a snowflake-valued option (user, role, channel, mentionable),
// or "".
func (c *Ctx) ID(name string) string { return c.String(name) }

// Has reports whether the option was given.
func (c *Ctx) Has(name string) bool { return c.Options[name] != nil }

// Page renders page of the pager kind registered on this bot's router, with
// navigation buttons. Use it as the first response of a paginated command.
func (c *Ctx) Page(ctx context.Context, kind, query string, page int) (*Response, error) {
	if c.router == nil {
		return nil, fmt.Errorf("pager %s: no router", kind)
	}
	p, ok := c.router.pagers[kind]
	if !ok {
		return nil, fmt.Errorf("pager %s: not registered", kind)
	}
	return renderPage(ctx, c, p.fn, PageRef{Kind: kind, Query: query, Page: page})
}

func renderPage(ctx context.Context, c *Ctx, fn PagerFunc, ref PageRef) (*Response, error) {
	embeds, pages, err := fn(ctx, c, ref.Query, ref.Page)
	if err != nil {
		return nil, err
	}
	if pages < 1 {
		pages = 1
	}
	if ref.Page >= pages {
		ref.Page = pages - 1
	}
	resp := &Response{Embeds: embeds, Update: c.CustomID != ""}
	if pages == 1 {
		resp.Components = []discordgo.MessageComponent{}
		return resp, nil
	}
	prev, next := ref, ref
	prev.Page, next.Page = max(ref.Page-1, 0), min(ref.Page+1, pages-1)
	// On the first (last) page the disabled prev (next) button points at the
	// page itself, which keeps both custom_ids distinct.
	pid, err := prev.Encode()
	if err != nil {
		return nil, fmt.Errorf("pager: %w", err)
	}
	nid, err := next.Encode()
	if err != nil {
		return nil, fmt.Errorf("pager: %w", err)
	}
	resp.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "◀ Prev", Style: discordgo.SecondaryButton, CustomID: pid, Disabled: ref.Page == 0},
		discordgo.Button{Label: fmt.Sprintf("%d / %d", ref.Page+1, pages), Style: discordgo.SecondaryButton,
			CustomID: "pgx:" + fmt.Sprint(ref.Page), Disabled: true},
		discordgo.Button{Label: "Next ▶", Style: discordgo.SecondaryButton, CustomID: nid, Disabled: ref.Page == pages-1},
	}}}
	return resp, nil
}

// Response is what a handler answers. The zero value is an empty message,
// which Discord rejects; set at least Content or Embeds.
type Response struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed // grouped into ≤10/6000 messages; extra ones sent as follow-ups
	Components []discordgo.MessageComponent
	Files      []*discordgo.File
	// Ephemeral shows the reply to the caller only (OR-ed with the route's
	// default; ignored once a public deferral was sent).
	Ephemeral bool
	// Update edits the message the component is on (components only).
	Update bool
	// Modal opens a modal (build it with NewModal). It cannot follow a
	// deferral, so modal-opening handlers must answer within DeferAfter.
	Modal *discordgo.InteractionResponseData
}

// Reply returns a response with embeds.
func Reply(embeds ...*discordgo.MessageEmbed) *Response { return &Response{Embeds: embeds} }

// Text returns a response with content only.
func Text(s string) *Response { return &Response{Content: s} }
