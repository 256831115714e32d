package discordtest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/blissark/bliss/bots/discordtest"
	"github.com/bwmarrin/discordgo"
)

func TestEnforceNonce(t *testing.T) {
	e := newEnv(t, discordtest.Options{}, 1)
	s, err := e.srv.NewSession(e.bots[0])
	if err != nil {
		t.Fatal(err)
	}
	post := func(body map[string]any) (*discordgo.Message, error) {
		ep := discordgo.EndpointChannelMessages(e.channel)
		raw, err := s.RequestWithBucketID(http.MethodPost, ep, body, ep)
		if err != nil {
			return nil, err
		}
		var m discordgo.Message
		return &m, json.Unmarshal(raw, &m)
	}
	m1, err := post(map[string]any{"content": "a", "nonce": "bl1", "enforce_nonce": true})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := post(map[string]any{"content": "a (re-sent after a crash)", "nonce": "bl1", "enforce_nonce": true})
	if err != nil || m2.ID != m1.ID || m2.Content != "a" {
		t.Fatalf("re-send with enforce_nonce: %+v %v (first %s)", m2, err, m1.ID)
	}
	// Without enforce_nonce the nonce only echoes: a second message.
	m3, err := post(map[string]any{"content": "b", "nonce": "bl1"})
	if err != nil || m3.ID == m1.ID {
		t.Fatalf("without enforce_nonce: %+v %v", m3, err)
	}
	if _, err := post(map[string]any{"content": "c", "nonce": 12345, "enforce_nonce": true}); err != nil {
		t.Fatalf("integer nonce: %v", err)
	}
	if n := len(e.srv.Messages(e.channel)); n != 3 {
		t.Fatalf("%d messages, want 3", n)
	}
	_, err = post(map[string]any{"content": "d", "nonce": "this-nonce-is-longer-than-25", "enforce_nonce": true})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest {
		t.Fatalf("long nonce: %v", err)
	}
}
