package bots

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// HandlerFunc handles one interaction and returns what to answer. The
// router acknowledges the interaction with the response (or a deferral
// followed by it when the handler is slow), and maps a non-nil error to a
// red embed (see UserError). Handlers must not call InteractionRespond.
type HandlerFunc func(ctx context.Context, c *Ctx) (*Response, error)

// AutocompleteFunc returns the choices for the focused option. At most 25
// choices are sent; names and string values are truncated to 100.
type AutocompleteFunc func(ctx context.Context, c *Ctx, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error)

// Access is who may run a command or component. The zero value is
// AccessUnset, which Validate rejects and the dispatcher refuses: a route
// that forgets to say who may use it fails closed, never open.
type Access int

const (
	// AccessUnset is the zero value: no one (Validate reports the route).
	AccessUnset Access = iota
	// Everyone may use it.
	Everyone
	// Staff: members holding one of the guild's staff roles, or the
	// Administrator permission. With no staff roles configured, only
	// Administrators. Never allowed in DMs.
	Staff
)

// String names the access level.
func (a Access) String() string {
	switch a {
	case Everyone:
		return "everyone"
	case Staff:
		return "staff"
	case AccessUnset:
		return "unset"
	}
	return fmt.Sprintf("access(%d)", int(a))
}

func (a Access) valid() bool { return a == Everyone || a == Staff }

// Command is one slash command: its Discord spec plus handlers.
type Command struct {
	Spec *discordgo.ApplicationCommand
	// Access applies to the command and all its subcommands, except those
	// SubAccess lists. It decides the command's registration (a Staff
	// command is hidden from members without Manage Server).
	Access Access
	// SubAccess sets the access of single subcommand paths ("sub" or
	// "group sub") of an Everyone command: staff-only subcommands of a
	// command players use. The dispatcher refuses a non-staff caller of a
	// Staff path before its handler (and its autocomplete) runs, exactly as
	// for a Staff command, and a Staff path answers ephemerally. A path
	// listed with AccessUnset is refused to everyone; Validate reports it,
	// and a path that does not exist or loosens the command's Access.
	SubAccess map[string]Access
	// Ephemeral makes replies (and the deferral) visible to the caller only.
	Ephemeral bool
	// Run handles a command without subcommands.
	Run HandlerFunc
	// Subcommands handles subcommands by path: "view", or "group sub".
	Subcommands map[string]HandlerFunc
	// Autocomplete serves options with Autocomplete set.
	Autocomplete AutocompleteFunc
}

// Component routes buttons, selects (Router.Component) or modal submits
// (Router.Modal) whose custom_id starts with Prefix followed by ':' or the
// end of the id.
type Component struct {
	Prefix    string
	Access    Access
	Ephemeral bool
	// UpdateMessage: when the handler is slow, acknowledge with a deferred
	// message update (the response then edits the message the component is
	// on) instead of a deferred new message.
	UpdateMessage bool
	Run           HandlerFunc
}

// PagerFunc renders page `page` (0-based) of a paginated view for query.
// It returns the page's embeds and the number of pages (≥ 1). A page past
// the end should render the last page.
type PagerFunc func(ctx context.Context, c *Ctx, query string, page int) (embeds []*discordgo.MessageEmbed, pages int, err error)

type pagerEntry struct {
	access Access
	fn     PagerFunc
}

// Router holds one bot's commands, component and modal routes, and pagers.
// Build it at wiring time, then hand it to Supervisor.Handle. It is not safe
// for concurrent modification, but read-only use is concurrent-safe.
type Router struct {
	commands   map[string]*Command
	order      []*Command
	components map[string]*Component
	modals     map[string]*Component
	pagers     map[string]pagerEntry
	settings   []Setting
	messages   []MessageHandlers
	errs       []error
}

// MessageHandlers receive the bot session's message events (the Ticket bot
// records its threads' messages; the chat bridge reads Discord chat). The
// supervisor calls them with the session's context, counts them as
// in-flight work on shutdown and recovers their panics. Nil fields are
// skipped. Reading message content needs the MessageContent intent.
type MessageHandlers struct {
	Create func(ctx context.Context, s *discordgo.Session, m *discordgo.MessageCreate)
	Update func(ctx context.Context, s *discordgo.Session, m *discordgo.MessageUpdate)
	Delete func(ctx context.Context, s *discordgo.Session, m *discordgo.MessageDelete)
}

// Messages adds message event handlers.
func (r *Router) Messages(h MessageHandlers) *Router {
	r.messages = append(r.messages, h)
	return r
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	return &Router{
		commands:   map[string]*Command{},
		components: map[string]*Component{},
		modals:     map[string]*Component{},
		pagers:     map[string]pagerEntry{},
	}
}

// Command adds a slash command. Mistakes (duplicates, missing handlers)
// are reported by Validate.
func (r *Router) Command(c *Command) *Router {
	switch {
	case c == nil || c.Spec == nil:
		r.errs = append(r.errs, errors.New("router: command without spec"))
		return r
	case r.commands[c.Spec.Name] != nil:
		r.errs = append(r.errs, fmt.Errorf("router: duplicate command %q", c.Spec.Name))
		return r
	case c.Run == nil && len(c.Subcommands) == 0:
		r.errs = append(r.errs, fmt.Errorf("router: command %q has no handler", c.Spec.Name))
	}
	paths := subcommandPaths(c.Spec)
	for _, p := range paths {
		if c.Subcommands[p] == nil {
			r.errs = append(r.errs, fmt.Errorf("router: command %q: no handler for subcommand %q", c.Spec.Name, p))
		}
	}
	subs := make([]string, 0, len(c.SubAccess))
	for p := range c.SubAccess {
		subs = append(subs, p)
	}
	sort.Strings(subs)
	for _, p := range subs {
		a := c.SubAccess[p]
		switch {
		case !slices.Contains(paths, p):
			r.errs = append(r.errs, fmt.Errorf("router: command %q: SubAccess names %q, which is not a subcommand", c.Spec.Name, p))
		case a.valid() && c.Access == Staff && a != Staff:
			r.errs = append(r.errs, fmt.Errorf("router: command %q: SubAccess %q is %s under a staff command (Discord hides the whole command from players)", c.Spec.Name, p, a))
		}
	}
	r.commands[c.Spec.Name] = c
	r.order = append(r.order, c)
	return r
}

// Component adds a button/select route.
func (r *Router) Component(c *Component) *Router { return r.addRoute(r.components, "component", c) }

// Modal adds a modal-submit route.
func (r *Router) Modal(c *Component) *Router { return r.addRoute(r.modals, "modal", c) }

func (r *Router) addRoute(m map[string]*Component, what string, c *Component) *Router {
	switch {
	case c == nil || c.Run == nil:
		r.errs = append(r.errs, fmt.Errorf("router: %s route without handler", what))
	case c.Prefix == "" || strings.Contains(c.Prefix, ":") || len(c.Prefix) > 40:
		r.errs = append(r.errs, fmt.Errorf("router: bad %s prefix %q", what, c.Prefix))
	case m[c.Prefix] != nil || (what == "component" && c.Prefix == PagerPrefix):
		r.errs = append(r.errs, fmt.Errorf("router: duplicate %s prefix %q", what, c.Prefix))
	default:
		m[c.Prefix] = c
	}
	return r
}

// Pager registers a paginated view under kind. Its buttons carry
// "pg:kind:query:page" and are served by the router after any restart.
func (r *Router) Pager(kind string, access Access, fn PagerFunc) *Router {
	switch {
	case fn == nil || kind == "" || strings.Contains(kind, ":") || len(kind) > 20:
		r.errs = append(r.errs, fmt.Errorf("router: bad pager %q", kind))
	case r.pagers[kind].fn != nil:
		r.errs = append(r.errs, fmt.Errorf("router: duplicate pager %q", kind))
	default:
		r.pagers[kind] = pagerEntry{access, fn}
	}
	return r
}

// StaffPermissions is the default_member_permissions a Staff command is
// registered with unless its Spec sets its own: Discord hides the command
// from members without Manage Server (server admins can widen it under
// Integrations), so players do not see commands they cannot run.
const StaffPermissions = int64(discordgo.PermissionManageGuild)

// ComponentHandler returns the handler and access of the component route
// registered under prefix (the Ticket bot hands on the buttons of automatic
// tickets to the bot that raised them).
func (r *Router) ComponentHandler(prefix string) (HandlerFunc, Access, bool) {
	c := r.components[prefix]
	if c == nil {
		return nil, 0, false
	}
	return c.Run, c.Access, true
}

// Specs returns the command specs for bulk registration, in insertion order.
// A Staff command without DefaultMemberPermissions gets StaffPermissions
// (on a copy; the router's spec is not modified).
func (r *Router) Specs() []*discordgo.ApplicationCommand {
	out := make([]*discordgo.ApplicationCommand, 0, len(r.order))
	for _, c := range r.order {
		spec := c.Spec
		if c.Access == Staff && spec.DefaultMemberPermissions == nil {
			cp := *spec
			perm := StaffPermissions
			cp.DefaultMemberPermissions = &perm
			spec = &cp
		}
		out = append(out, spec)
	}
	return out
}

// Validate reports wiring mistakes and specs that Discord would reject,
// including every route whose Access is not set to Everyone or Staff.
func (r *Router) Validate() error {
	errs := append([]error(nil), r.errs...)
	for _, rt := range r.Routes() {
		if !rt.Access.valid() {
			errs = append(errs, fmt.Errorf("router: %s %q: Access not set (want bots.Everyone or bots.Staff)", rt.Kind, strings.TrimSpace(rt.Name+" "+rt.Sub)))
		}
	}
	if err := ValidateCommands(r.Specs()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RouteKind is what a Route answers.
type RouteKind string

// Route kinds.
const (
	RouteCommand    RouteKind = "command"    // a slash command without subcommands
	RouteSubcommand RouteKind = "subcommand" // one "sub" or "group sub" path of a command
	RouteComponent  RouteKind = "component"  // buttons and selects by custom_id prefix
	RouteModal      RouteKind = "modal"      // modal submits by custom_id prefix
	RoutePager      RouteKind = "pager"      // "pg:kind:…" pager buttons
)

// Route describes one registered route, for tests that drive every route
// of a bot (the access sweep) and for documentation.
type Route struct {
	Kind RouteKind
	Name string // command name, component/modal prefix, or pager kind
	Sub  string // subcommand path ("view", "group sub") for RouteSubcommand
	// Access is who may use this route: for a subcommand, its SubAccess
	// entry if it has one, else the command's.
	Access Access
	// CommandAccess is the command's own Access (RouteCommand,
	// RouteSubcommand), which decides how it is registered.
	CommandAccess Access
	// Spec is the command's spec (RouteCommand, RouteSubcommand).
	Spec *discordgo.ApplicationCommand
	// Autocomplete: the command serves autocomplete.
	Autocomplete bool
}

// Routes lists every route: commands (one per subcommand path) in
// registration order, then components, modals and pagers sorted by name.
func (r *Router) Routes() []Route {
	var out []Route
	for _, c := range r.order {
		if c == nil || c.Spec == nil {
			continue
		}
		paths := subcommandPaths(c.Spec)
		if len(paths) == 0 {
			out = append(out, Route{Kind: RouteCommand, Name: c.Spec.Name, Access: c.Access, CommandAccess: c.Access, Spec: c.Spec, Autocomplete: c.Autocomplete != nil})
		}
		for _, p := range paths {
			out = append(out, Route{Kind: RouteSubcommand, Name: c.Spec.Name, Sub: p, Access: c.subAccess(p), CommandAccess: c.Access, Spec: c.Spec, Autocomplete: c.Autocomplete != nil})
		}
	}
	add := func(kind RouteKind, m map[string]*Component) {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, Route{Kind: kind, Name: n, Access: m[n].Access})
		}
	}
	add(RouteComponent, r.components)
	add(RouteModal, r.modals)
	kinds := make([]string, 0, len(r.pagers))
	for k := range r.pagers {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		out = append(out, Route{Kind: RoutePager, Name: k, Access: r.pagers[k].access})
	}
	return out
}

// StaffPaths returns a SubAccess map making paths Staff:
// SubAccess: bots.StaffPaths("give", "shop add").
func StaffPaths(paths ...string) map[string]Access {
	m := make(map[string]Access, len(paths))
	for _, p := range paths {
		m[p] = Staff
	}
	return m
}

// subAccess is the access of subcommand path p: its SubAccess entry (even
// AccessUnset: a listed path never falls back to the command's), else the
// command's Access.
func (c *Command) subAccess(p string) Access {
	if a, ok := c.SubAccess[p]; ok {
		return a
	}
	return c.Access
}

// subEphemeral reports whether path p answers ephemerally: the command is
// Ephemeral, or p is a staff-only path of a command players use (its
// answer, and a slow handler's deferral, are for staff eyes only).
func (c *Command) subEphemeral(p string) bool {
	a, listed := c.SubAccess[p]
	return c.Ephemeral || listed && a != Everyone
}

// subcommandPaths lists "sub" and "group sub" paths of a spec.
func subcommandPaths(spec *discordgo.ApplicationCommand) []string {
	var out []string
	for _, o := range spec.Options {
		if o == nil {
			continue
		}
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommand:
			out = append(out, o.Name)
		case discordgo.ApplicationCommandOptionSubCommandGroup:
			for _, s := range o.Options {
				if s != nil {
					out = append(out, o.Name+" "+s.Name)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
