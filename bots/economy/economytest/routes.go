package economytest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/economy"
)

// CheckStaffRoutes reports how the economy's command in r (named command)
// disagrees with who owns its staff access: the command is registered
// for everyone (no default_member_permissions), every path of
// economy.StaffSubcommands and of own (the bot's own staff paths) is a
// Staff subcommand, every other path is Everyone, and a subcommand is
// described "Staff: …" exactly when it is Staff. The economy's handlers do
// not check the role again, so a disagreement is a subcommand open to
// every member (or a player feature hidden from players). nil when they
// agree.
func CheckStaffRoutes(r *bots.Router, command string, own ...string) error {
	var errs []error
	var spec *discordgo.ApplicationCommand
	for _, s := range r.Specs() {
		if s.Name == command {
			spec = s
		}
	}
	if spec == nil {
		return fmt.Errorf("economytest: /%s is not registered", command)
	}
	if spec.DefaultMemberPermissions != nil {
		errs = append(errs, fmt.Errorf("/%s registered with default_member_permissions %d: players would not see it", command, *spec.DefaultMemberPermissions))
	}
	desc := map[string]string{}
	for _, o := range spec.Options {
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommand:
			desc[o.Name] = o.Description
		case discordgo.ApplicationCommandOptionSubCommandGroup:
			for _, s := range o.Options {
				desc[o.Name+" "+s.Name] = s.Description
			}
		}
	}
	staff := map[string]bool{}
	for _, p := range append(economy.StaffSubcommands(), own...) {
		staff[p] = true
	}
	seen := map[string]bool{}
	for _, rt := range r.Routes() {
		if rt.Kind != bots.RouteSubcommand || rt.Name != command {
			continue
		}
		seen[rt.Sub] = true
		want := bots.Everyone
		if staff[rt.Sub] {
			want = bots.Staff
		}
		if rt.Access != want || rt.CommandAccess != bots.Everyone {
			errs = append(errs, fmt.Errorf("/%s %s: %s (command %s), want %s", command, rt.Sub, rt.Access, rt.CommandAccess, want))
		}
		if marked := strings.HasPrefix(desc[rt.Sub], "Staff:"); marked != staff[rt.Sub] {
			errs = append(errs, fmt.Errorf("/%s %s: described %q, but staff-only is %v", command, rt.Sub, desc[rt.Sub], staff[rt.Sub]))
		}
	}
	for p := range staff {
		if !seen[p] {
			errs = append(errs, fmt.Errorf("/%s: staff path %q is not a subcommand", command, p))
		}
	}
	return errors.Join(errs...)
}
