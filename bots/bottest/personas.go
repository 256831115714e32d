package bottest

import (
	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/discordtest"
)

// Personas are the members a bot's RBAC tests talk as: an administrator
// (a role with Administrator), a staff member (a "Staff" role, which the
// test makes the guild's staff role in its settings) and a plain player.
// An empty id leaves that persona (or role) out.
type Personas struct {
	Admin, Staff, Player string // user ids; usernames "admin", "staff", "player"
	AdminRole, StaffRole string // role ids
}

// Guild is a guild named name with the personas' roles and members, the
// channels and the extra members (bots are added with AddBotToGuild).
func (p Personas) Guild(name string, channels []*discordgo.Channel, extra ...*discordgo.Member) discordtest.Guild {
	g := discordtest.Guild{Name: name, Channels: channels}
	if p.AdminRole != "" {
		g.Roles = append(g.Roles, &discordgo.Role{ID: p.AdminRole, Name: "Admin", Permissions: discordgo.PermissionAdministrator})
	}
	if p.StaffRole != "" {
		g.Roles = append(g.Roles, &discordgo.Role{ID: p.StaffRole, Name: "Staff"})
	}
	add := func(id, username, role string) {
		if id == "" {
			return
		}
		m := &discordgo.Member{User: &discordgo.User{ID: id, Username: username}}
		if role != "" {
			m.Roles = []string{role}
		}
		g.Members = append(g.Members, m)
	}
	add(p.Admin, "admin", p.AdminRole)
	add(p.Staff, "staff", p.StaffRole)
	add(p.Player, "player", "")
	g.Members = append(g.Members, extra...)
	return g
}

// Member is a guild member with a username and roles.
func Member(id, username string, roles ...string) *discordgo.Member {
	return &discordgo.Member{User: &discordgo.User{ID: id, Username: username}, Roles: roles}
}

// TextChannel is a guild text channel.
func TextChannel(id, name string) *discordgo.Channel {
	return &discordgo.Channel{ID: id, Name: name, Type: discordgo.ChannelTypeGuildText}
}
