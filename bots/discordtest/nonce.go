package discordtest

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// NonceWindow is how long a message's nonce deduplicates a later create
// with enforce_nonce (Discord documents "the past few minutes").
const NonceWindow = 5 * time.Minute

// nonceSeen is one remembered nonce of a channel.
type nonceSeen struct {
	messageID string
	at        time.Time
}

// nonceString returns a message body's nonce (Discord accepts an integer
// or a string of at most 25 characters).
func nonceString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, len(s) <= 25
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return string(n), true
		}
	}
	return "", false
}

// checkNonce validates the nonce field of a message create.
func checkNonce(f *formErrors, body *messageBody) {
	if _, ok := nonceString(body.Nonce); !ok {
		f.add([]string{"nonce"}, "BASE_TYPE_BAD_LENGTH", "Must be 25 or fewer in length.")
	}
}

// nonceMessageLocked returns the message an earlier create by the same
// author in cs made with the same nonce, when body asks for enforce_nonce
// and that create is within NonceWindow; nil otherwise.
func (s *Server) nonceMessageLocked(cs *channelState, rc *reqCtx, body *messageBody) *discordgo.Message {
	n, _ := nonceString(body.Nonce)
	if n == "" || !body.EnforceNonce || rc.bot == nil {
		return nil
	}
	seen, ok := cs.nonces[rc.bot.bot.UserID+"/"+n]
	if !ok || rc.now.Sub(seen.at) > NonceWindow {
		return nil
	}
	return findMessage(cs, seen.messageID)
}

// rememberNonceLocked records the nonce of a created message.
func (s *Server) rememberNonceLocked(cs *channelState, rc *reqCtx, body *messageBody, m *discordgo.Message) {
	n, _ := nonceString(body.Nonce)
	if n == "" || rc.bot == nil {
		return
	}
	if cs.nonces == nil {
		cs.nonces = map[string]nonceSeen{}
	}
	cs.nonces[rc.bot.bot.UserID+"/"+n] = nonceSeen{messageID: m.ID, at: rc.now}
}
