package nitradotest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"path"
	"strconv"
)

// MaxSeekChunk is the most bytes one file_server/seek returns (the caller
// loops for more).
const MaxSeekChunk = 64 << 10

// AppendFileBytes appends data to an in-memory file of the service
// (creating it), as a growing ShooterGame.log does. Replacing the file with
// AddFileBytes and shorter content simulates a rotation.
func (s *Server) AppendFileBytes(serviceID int64, remotePath string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files[serviceID] == nil {
		s.files[serviceID] = map[string]fileSrc{}
	}
	p := path.Clean("/" + remotePath)
	src := s.files[serviceID][p]
	buf := append(append([]byte(nil), src.data...), data...)
	s.files[serviceID][p] = fileSrc{data: buf, isMem: true}
}

func (s *Server) fileBytes(src fileSrc) ([]byte, error) {
	if src.isMem {
		return src.data, nil
	}
	return os.ReadFile(src.local)
}

// serveSize answers GET .../file_server/size?path=.
func (s *Server) serveSize(w http.ResponseWriter, r *http.Request, id int64) {
	p := path.Clean("/" + r.URL.Query().Get("path"))
	s.mu.Lock()
	src, ok := s.files[id][p]
	s.mu.Unlock()
	var b []byte
	var err error
	if ok {
		b, err = s.fileBytes(src)
	}
	if !ok || err != nil {
		writeErr(w, http.StatusInternalServerError, "Error while getting file size: File doesn't exist")
		return
	}
	writeData(w, map[string]any{"size": len(b)})
}

// serveSeekToken answers GET .../file_server/seek?file=&offset=&length=
// with a token URL whose body is the slice (negative offset: from the end).
func (s *Server) serveSeekToken(w http.ResponseWriter, r *http.Request, id int64) {
	q := r.URL.Query()
	file := path.Clean("/" + q.Get("file"))
	off, err1 := strconv.ParseInt(q.Get("offset"), 10, 64)
	length, err2 := strconv.ParseInt(q.Get("length"), 10, 64)
	if q.Get("length") == "" {
		length, err2 = 4048, nil
	}
	if err1 != nil || err2 != nil || length <= 0 {
		writeErr(w, http.StatusBadRequest, "Invalid offset or length.")
		return
	}
	length = min(length, MaxSeekChunk)
	s.mu.Lock()
	_, ok := s.files[id][file]
	var tok string
	if ok {
		var b [16]byte
		_, _ = rand.Read(b[:])
		tok = hex.EncodeToString(b[:])
		s.dlTokens[tok] = dlTarget{serviceID: id, path: file, seek: true, off: off, length: length}
	}
	s.mu.Unlock()
	if !ok {
		writeErr(w, http.StatusInternalServerError, "Error while seeking: File doesn't exist")
		return
	}
	writeData(w, map[string]any{"token": map[string]any{
		"url":   s.srv.URL + "/dl/" + tok + "/" + path.Base(file),
		"token": tok,
	}})
}

// serveSeekData writes the slice a seek token stands for.
func (s *Server) serveSeekData(w http.ResponseWriter, tgt dlTarget, src fileSrc) {
	b, err := s.fileBytes(src)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "Error while seeking: File doesn't exist")
		return
	}
	off := tgt.off
	if off < 0 {
		off = max(0, int64(len(b))+off)
	}
	off = min(off, int64(len(b)))
	end := min(int64(len(b)), off+tgt.length)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(end-off, 10))
	_, _ = w.Write(b[off:end])
}

func (s *Server) serveSeekOrSize(w http.ResponseWriter, r *http.Request, id int64, sub string) {
	if sub == "gameservers/file_server/size" {
		s.serveSize(w, r, id)
		return
	}
	s.serveSeekToken(w, r, id)
}
