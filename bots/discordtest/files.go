package discordtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Discord's upload limits for a bot message in a guild without boosts.
const (
	MaxFiles    = 10
	MaxFileSize = 10 << 20
)

// cdnHost is where attachment URLs point; the fake's transports send it
// to the fake, which serves the uploaded bytes.
const cdnHost = "cdn.discordapp.com"

// attachmentsLocked turns uploaded files into attachments with CDN URLs
// and keeps their bytes for GET on the URL and Attachment.
func (s *Server) attachmentsLocked(msgID string, files []File) []*discordgo.MessageAttachment {
	out := []*discordgo.MessageAttachment{}
	for i, f := range files {
		id := fmt.Sprintf("%s%d", msgID, i)
		a := &discordgo.MessageAttachment{
			ID: id, Filename: f.Name, ContentType: f.ContentType, Size: len(f.Data),
			URL:      "https://" + cdnHost + "/attachments/" + id + "/" + url.PathEscape(f.Name),
			ProxyURL: "https://media.discordapp.net/attachments/" + id + "/" + url.PathEscape(f.Name),
		}
		if s.files == nil {
			s.files = map[string]File{}
		}
		s.files[id] = f
		out = append(out, a)
	}
	return out
}

// checkFilesLocked applies Discord's upload limits to a multipart request.
func checkFiles(rc *reqCtx) *reply {
	if len(rc.files) > MaxFiles {
		f := &formErrors{}
		f.add([]string{"files"}, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", MaxFiles))
		r := formErr(f)
		return &r
	}
	for _, fl := range rc.files {
		if len(fl.Data) > MaxFileSize {
			r := derr(http.StatusRequestEntityTooLarge, 40005, "Request entity too large")
			return &r
		}
		if fl.Name == "" {
			f := &formErrors{}
			f.add([]string{"files"}, "BASE_TYPE_REQUIRED", "A file needs a filename.")
			r := formErr(f)
			return &r
		}
	}
	return nil
}

// serveCDN answers GET /attachments/{id}/{name} with the uploaded bytes.
func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/attachments/"), "/")
	if r.Method != http.MethodGet || len(parts) != 2 {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	f, ok := s.files[parts[0]]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(f.Data)
}

// Attachment returns the uploaded bytes behind an attachment URL (or
// attachment ID), as a bot would download them from the CDN.
func (s *Server) Attachment(urlOrID string) (File, bool) {
	id := urlOrID
	if u, err := url.Parse(urlOrID); err == nil && strings.HasPrefix(u.Path, "/attachments/") {
		id = strings.SplitN(strings.TrimPrefix(u.Path, "/attachments/"), "/", 2)[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if ok {
		f.Data = append([]byte(nil), f.Data...)
	}
	return f, ok
}
