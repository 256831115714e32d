package app

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/storage"
)

// The sweep's second guild, where the sandbox's staff member is a plain
// member (staff in one guild is nobody in another).
const (
	swGuildID = "1200000000000009001"
	swChanID  = "1200000000000009301"
	swRoleID  = "1200000000000009101"
)

// persona is one way an outsider reaches a route.
type persona struct {
	name    string
	user    string // sandbox user
	guildID string // "" = DM
	channel string
	roles   []string // override the member's roles (nil = stored)
}

func sweepPersonas() []persona {
	return []persona{
		{name: "plain member", user: "player", guildID: sbGuildID, channel: sbChanGeneral},
		{name: "member of another guild", user: "staff", guildID: swGuildID, channel: swChanID},
		// Guild A's staff role id forged into guild B's member record:
		// staff roles are per guild, so this is nobody too.
		{name: "another guild with a foreign staff role", user: "staff", guildID: swGuildID, channel: swChanID, roles: []string{sbRoleStaff}},
		{name: "DM", user: "staff"},
	}
}

// TestAccessSweep drives every route of every bot the appliance wires
// (read from the supervisor's routers, so a new bot's routes join without
// editing this test) as a plain member, as a member of another guild and in
// a DM, and checks that every Staff route refuses and changes nothing in
// SQLite. Everyone routes are driven too (they must answer). A staff
// subcommand of an Everyone command (bots.Command.SubAccess) is a Staff
// route of its own.
func TestAccessSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole appliance; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	var counts sweepCounts
	scenes := []scene{
		{name: "connect", run: sceneConnect},
		{name: "access sweep", run: func(ctx context.Context, sb *sandbox) error { return sweep(ctx, t, sb, &counts) }},
	}
	var out, errb syncBuffer
	err := sandboxMain(ctx, sandboxOptions{scenario: "sweep", scenes: scenes, tmpParent: t.TempDir(), stepTimeout: 45 * time.Second}, &out, &errb)
	if err != nil {
		t.Fatalf("sandbox: %v\ntranscript:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	t.Logf("swept %d routes (%d staff) of %d bots: %d staff refusals checked, %d deliveries Discord itself refuses (DM-less commands), %d everyone-route answers",
		counts.routes, counts.staffRoutes, counts.bots, counts.refused, counts.undeliverable, counts.everyone)
	t.Logf("%d staff subcommands of Everyone commands swept as staff routes: %s", len(counts.staffSubs), strings.Join(counts.staffSubs, ", "))
	if counts.bots == 0 || counts.staffRoutes == 0 || counts.refused == 0 || len(counts.staffSubs) == 0 {
		t.Fatalf("the sweep drove nothing: %+v", counts)
	}
}

type sweepCounts struct {
	bots, routes, staffRoutes, refused, undeliverable, everyone int
	// staffSubs: staff subcommands of Everyone commands (Command.SubAccess).
	staffSubs []string
}

func sweep(ctx context.Context, t *testing.T, sb *sandbox, n *sweepCounts) error {
	// Guild A has a staff role configured, so "staff" is staff there.
	if err := sb.app.db.UpsertGuild(ctx, &storage.Guild{ID: sbGuildID, Name: "Bliss Sandbox"}); err != nil {
		return err
	}
	if err := sb.app.db.SetSetting(ctx, sbGuildID, bots.KeyStaffRoles, sbRoleStaff); err != nil {
		return err
	}
	sb.discord.AddGuild(discordtest.Guild{ID: swGuildID, Name: "Elsewhere", OwnerID: sbUserAdmin,
		Roles:    []*discordgo.Role{{ID: swRoleID, Name: "Member", Position: 1}},
		Channels: []*discordgo.Channel{{ID: swChanID, Name: "general", Type: discordgo.ChannelTypeGuildText}},
		Members:  []*discordgo.Member{{User: sb.users["staff"], Roles: []string{swRoleID}}, {User: sb.users["admin"]}}})
	for _, k := range bots.Kinds() {
		if sb.app.sup.Router(k) == nil {
			continue
		}
		for _, g := range []string{sbGuildID, swGuildID} {
			if k == bots.GP || g == swGuildID {
				if err := sb.discord.AddBotToGuild(sb.bots[k], g); err != nil && !strings.Contains(err.Error(), "already") {
					return fmt.Errorf("add %s to %s: %w", k, g, err)
				}
			}
		}
	}
	for _, k := range bots.Kinds() {
		r := sb.app.sup.Router(k)
		if r == nil {
			continue
		}
		n.bots++
		specs := len(r.Specs())
		// The appliance registers commands in BLISS_GUILD_IDS only; give the
		// other guild and DMs the same commands, as global commands would.
		if specs > 0 {
			s, err := sb.discord.NewSession(sb.bots[k])
			if err != nil {
				return err
			}
			for _, g := range []string{swGuildID, ""} { // "" = global, reachable in DMs
				if _, err := s.ApplicationCommandBulkOverwrite(sb.bots[k].AppID, g, r.Specs(), discordgo.WithContext(ctx)); err != nil {
					return fmt.Errorf("register %s commands in guild %q: %w", k, g, err)
				}
			}
		}
		for _, g := range []string{sbGuildID, swGuildID} {
			wctx, cancel := sb.stepCtx(ctx)
			err := waitUntil(wctx, fmt.Sprintf("%s commands in %s", k, g), func() bool { return len(sb.discord.Commands(sb.bots[k], g)) == specs })
			cancel()
			if err != nil {
				return err
			}
		}
		// What the appliance registered itself (guild A): a staff command
		// carries default_member_permissions, so players do not see it; an
		// Everyone command does not.
		registered := map[string]*discordgo.ApplicationCommand{}
		for _, c := range sb.discord.Commands(sb.bots[k], sbGuildID) {
			registered[c.Name] = c
		}
		checked := map[string]bool{}
		for _, rt := range r.Routes() {
			if (rt.Kind != bots.RouteCommand && rt.Kind != bots.RouteSubcommand) || checked[rt.Name] {
				continue
			}
			checked[rt.Name] = true
			c := registered[rt.Name]
			switch {
			case c == nil:
				t.Errorf("%s /%s is not registered in the guild", k, rt.Name)
			case rt.CommandAccess == bots.Staff && c.DefaultMemberPermissions == nil:
				t.Errorf("%s staff command /%s registered without default_member_permissions", k, rt.Name)
			case rt.CommandAccess == bots.Everyone && c.DefaultMemberPermissions != nil && *c.DefaultMemberPermissions != 0 && rt.Spec.DefaultMemberPermissions == nil:
				t.Errorf("%s everyone command /%s registered with default_member_permissions %d", k, rt.Name, *c.DefaultMemberPermissions)
			}
		}
		for _, rt := range r.Routes() {
			n.routes++
			if rt.Access == bots.Staff {
				n.staffRoutes++
				if rt.Kind == bots.RouteSubcommand && rt.CommandAccess != bots.Staff {
					n.staffSubs = append(n.staffSubs, fmt.Sprintf("%s /%s %s", k, rt.Name, rt.Sub))
				}
			}
			for pi, p := range sweepPersonas() {
				if rt.Access != bots.Staff && pi > 0 {
					break // Everyone routes only need to answer; one persona shows it
				}
				for _, in := range routeInteractions(sb, rt) {
					if err := sweepOne(ctx, t, sb, k, rt, p, in, n); err != nil {
						t.Errorf("%s %s %s as %s: %v", k, rt.Kind, strings.TrimSpace(rt.Name+" "+rt.Sub), p.name, err)
					}
				}
			}
		}
	}
	// Positive control: the same check lets guild A's staff through, so
	// the refusals above are the access rule, not a broken route.
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	h, err := sb.discord.Interact(wctx, sb.bots[bots.Master], discordtest.Interaction{Type: discordgo.InteractionApplicationCommand,
		CommandName: "status", User: sb.users["staff"], GuildID: sbGuildID, ChannelID: sbChanGeneral})
	if err != nil {
		return err
	}
	r, err := h.WaitFinal(wctx)
	if err != nil {
		return err
	}
	if txt := strings.ToLower(responseText(r)); strings.Contains(txt, "staff role") || strings.Contains(txt, "not available") {
		return fmt.Errorf("guild A's staff was refused /status: %s", txt)
	}
	return nil
}

// sweepOne sends one interaction and checks the answer (and, for Staff
// routes, that SQLite did not change).
func sweepOne(ctx context.Context, t *testing.T, sb *sandbox, k bots.BotKind, rt bots.Route, p persona, in discordtest.Interaction, n *sweepCounts) error {
	in.User, in.GuildID, in.ChannelID, in.Roles = sb.users[p.user], p.guildID, p.channel, p.roles
	before, err := dbDigest(ctx, sb.app.db.SQL())
	if err != nil {
		return err
	}
	wctx, cancel := sb.stepCtx(ctx)
	defer cancel()
	h, err := sb.discord.Interact(wctx, sb.bots[k], in)
	if err != nil {
		if p.guildID == "" && (strings.Contains(err.Error(), "dm_permission") || strings.Contains(err.Error(), "interaction context")) {
			n.undeliverable++ // Discord does not offer the command in DMs
			return nil
		}
		return fmt.Errorf("interact: %w", err)
	}
	r, err := h.WaitFinal(wctx)
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	if rt.Access != bots.Staff {
		n.everyone++
		return nil
	}
	text := strings.ToLower(responseText(r))
	switch {
	case in.Type == discordgo.InteractionApplicationCommandAutocomplete:
		if r.Type != discordgo.InteractionApplicationCommandAutocompleteResult || len(r.Data.Choices) != 0 {
			return fmt.Errorf("autocomplete answered %d choices (type %d): %s", len(r.Data.Choices), r.Type, text)
		}
	case !strings.Contains(text, "staff role") && !strings.Contains(text, "not available"):
		return fmt.Errorf("not refused: %s", text)
	case !r.Ephemeral():
		return fmt.Errorf("refusal is public: %s", text)
	case r.Kind != discordtest.KindCallback || r.Type != discordgo.InteractionResponseChannelMessageWithSource:
		return fmt.Errorf("refusal was not the direct answer (kind %v type %d)", r.Kind, r.Type)
	}
	after, err := dbDigest(ctx, sb.app.db.SQL())
	if err != nil {
		return err
	}
	if after != before {
		return errors.New("SQLite changed")
	}
	n.refused++
	return nil
}

// routeInteractions builds the interactions that reach rt: its command
// (with every required option filled in) and, if it has autocomplete, an
// autocomplete request; a button and a select with the route's prefix; a
// modal submit; a pager button.
func routeInteractions(sb *sandbox, rt bots.Route) []discordtest.Interaction {
	switch rt.Kind {
	case bots.RouteCommand, bots.RouteSubcommand:
		opts, defs := commandOptions(sb, rt, "")
		out := []discordtest.Interaction{{Type: discordgo.InteractionApplicationCommand, CommandName: rt.Name, Options: opts}}
		if rt.Autocomplete {
			for _, d := range defs {
				if d != nil && d.Autocomplete {
					ac, _ := commandOptions(sb, rt, d.Name)
					out = append(out, discordtest.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete, CommandName: rt.Name, Options: ac})
					break
				}
			}
		}
		return out
	case bots.RouteComponent:
		return []discordtest.Interaction{
			{Type: discordgo.InteractionMessageComponent, CustomID: rt.Name + ":sweep", ComponentType: discordgo.ButtonComponent},
			{Type: discordgo.InteractionMessageComponent, CustomID: rt.Name, ComponentType: discordgo.SelectMenuComponent, Values: []string{"1"}},
		}
	case bots.RouteModal:
		return []discordtest.Interaction{{Type: discordgo.InteractionModalSubmit, CustomID: rt.Name + ":sweep", ModalValues: map[string]string{"value": "1"}}}
	case bots.RoutePager:
		id, err := bots.PageRef{Kind: rt.Name, Query: "sweep", Page: 1}.Encode()
		if err != nil {
			return nil
		}
		return []discordtest.Interaction{{Type: discordgo.InteractionMessageComponent, CustomID: id, ComponentType: discordgo.ButtonComponent}}
	}
	return nil
}

// commandOptions returns the options of rt's path with required options
// filled (and focus, if set, present and focused), and the definitions at
// that level.
func commandOptions(sb *sandbox, rt bots.Route, focus string) ([]*discordgo.ApplicationCommandInteractionDataOption, []*discordgo.ApplicationCommandOption) {
	defs := rt.Spec.Options
	var path []*discordgo.ApplicationCommandOption
	for _, name := range strings.Fields(rt.Sub) {
		for _, d := range defs {
			if d != nil && d.Name == name {
				path = append(path, d)
				defs = d.Options
				break
			}
		}
	}
	var leaf []*discordgo.ApplicationCommandInteractionDataOption
	for _, d := range defs {
		if d == nil || !d.Required && d.Name != focus {
			continue
		}
		o := optionValue(sb, d)
		if d.Name == focus {
			o.Focused, o.Value = true, ""
		}
		leaf = append(leaf, o)
	}
	for i := len(path) - 1; i >= 0; i-- {
		leaf = []*discordgo.ApplicationCommandInteractionDataOption{{Name: path[i].Name, Type: path[i].Type, Options: leaf}}
	}
	return leaf, defs
}

func optionValue(sb *sandbox, d *discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandInteractionDataOption {
	o := &discordgo.ApplicationCommandInteractionDataOption{Name: d.Name, Type: d.Type}
	if len(d.Choices) > 0 && d.Choices[0] != nil {
		o.Value = d.Choices[0].Value
		return o
	}
	switch d.Type {
	case discordgo.ApplicationCommandOptionInteger, discordgo.ApplicationCommandOptionNumber:
		o.Value = float64(1001)
	case discordgo.ApplicationCommandOptionBoolean:
		o.Value = true
	case discordgo.ApplicationCommandOptionUser, discordgo.ApplicationCommandOptionMentionable:
		o.Value = sbUserPlayer
	case discordgo.ApplicationCommandOptionChannel:
		o.Value = sbChanGeneral
	case discordgo.ApplicationCommandOptionRole:
		o.Value = sbRolePlayer
	default:
		o.Value = "1001"
	}
	return o
}

// dbDigest hashes every row of every table.
func dbDigest(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, n)
	}
	rows.Close()
	sort.Strings(tables)
	h := sha256.New()
	for _, tb := range tables {
		r, err := db.QueryContext(ctx, `SELECT * FROM "`+tb+`"`)
		if err != nil {
			return "", err
		}
		cols, _ := r.Columns()
		var lines []string
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				r.Close()
				return "", err
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		r.Close()
		sort.Strings(lines)
		fmt.Fprintf(h, "%s:%d\n%s\n", tb, len(lines), strings.Join(lines, "\n"))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
